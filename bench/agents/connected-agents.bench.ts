/**
 * Connected agents: what 10,000 idle agents cost one gateway process, against a bare socket.io server holding the
 * same 10,000 connections, measured in the same run.
 *
 * Tether: a fresh database; the admin app alone creates 10,000 agents (REST, then stopped); the gateway and the
 * sales line app run alone over PostgreSQL + Redis (as in production). Bare: bare-transport.server.ts (node:http
 * + socket.io, same `/agents` namespace, same rooms). For each, 4 load-generator processes connect 2,500 websocket
 * clients apiece; the figure is (RSS after the connections settle - RSS before) / connections. Then one call is
 * posted on the line and the time until every socket has received the `queue` snapshot showing it is measured
 * (Tether coalesces snapshots for TETHER_QUEUE_SNAPSHOT_MS, 200 ms by default: that window is part of its figure).
 *
 * Run through `npm run bench -- agents`. Options: --connections 10000, --swarms 4, --settle-seconds 5, --profile (the
 * gateway under `node --cpu-prof`, its self time over the connect storm printed by area and function).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchArgs, header, redisUrl, serverDatabaseUrl, sleep, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { monotonicMicros, printProfile, summarizeCpuProfile } from '../common/cpu-profile';
import { processTicks, rssBytes } from '../common/proc-stats';
import { fmt, round, summarize } from '../common/stats';
import { signTether } from '../common/tether-signature';
import { BENCH_SECRETS, createAgents, startApp } from '../common/tether-processes';
import { startBareTransport } from '../transport/start-bare-transport';
import { connectStorm } from './swarm';

const args = new BenchArgs();
const CONNECTIONS = args.number('connections', 10_000);
const SWARMS = args.number('swarms', 4);
const SETTLE_SECONDS = args.number('settle-seconds', 5);
const PROFILE = args.flag('profile');

interface Measurement {
  connections: number;
  connectSeconds: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  perAgentKb: number;
  fanOut: { allReceivedMs: number; p50Ms: number | null; p99Ms: number | null; missing: number };
  /**
   * CPU spent over the connect storm, ms: the server process, and (Tether) its PostgreSQL server's processes. Less
   * at the mercy of a busy machine than the storm's duration: what each connection costs, whoever else runs.
   */
  stormCpuMs: { server: number; postgres: number | null };
  /** the connect storm, CLOCK_MONOTONIC microseconds (the window of --profile) */
  stormUs: { fromUs: number; toUs: number };
}

const mb = (bytes: number): number => round(bytes / 1048576, 1);

/** Connects every token through the swarms, measures the server's RSS growth, then times one queue fan-out. */
async function measure(
  label: string,
  serverPid: number,
  url: string,
  tokens: string[],
  postCall: () => Promise<void>,
  postgresPids?: () => number[],
  database?: BenchDatabase,
): Promise<Measurement> {
  await sleep(2_000);
  const before = rssBytes(serverPid) ?? 0;
  const serverTicks = () => processTicks(serverPid) ?? 0;
  const postgresTicks = () =>
    (postgresPids?.() ?? []).reduce((sum, pid) => sum + (processTicks(pid) ?? 0), 0);
  if (database) await resetSqlStats(database);
  const [serverBefore, postgresBefore] = [serverTicks(), postgresTicks()];
  const fromUs = monotonicMicros();
  const storm = await connectStorm(url, tokens, SWARMS);
  const stormUs = { fromUs, toUs: monotonicMicros() };
  // clock ticks of 10 ms; a backend that exited meanwhile is in its postmaster's reaped-children time
  const stormCpuMs = {
    server: (serverTicks() - serverBefore) * 10,
    postgres: postgresPids ? (postgresTicks() - postgresBefore) * 10 : null,
  };
  if (database) await printSqlPerConnection(database, tokens.length);
  const { swarms } = storm;
  try {
    const connectSeconds = storm.seconds;
    if (storm.failed > 0)
      throw new Error(`${label}: ${storm.failed} connections failed (${storm.firstError})`);
    await sleep(SETTLE_SECONDS * 1000);
    const after = rssBytes(serverPid) ?? 0;
    const perAgentKb = round((after - before) / 1024 / tokens.length, 1);
    console.log(
      `${label}: CPU over the connect storm: server ${fmt(stormCpuMs.server, 0)} ms (${fmt((stormCpuMs.server * 1000) / tokens.length, 0)} µs per connection)` +
        (stormCpuMs.postgres === null
          ? ''
          : `, PostgreSQL ${fmt(stormCpuMs.postgres, 0)} ms (${fmt((stormCpuMs.postgres * 1000) / tokens.length, 0)} µs per connection)`),
    );
    console.log(
      `${label}: ${tokens.length} connections in ${connectSeconds.toFixed(1)} s; RSS ${fmt(mb(before))} -> ${fmt(mb(after))} MB = ${fmt(perAgentKb)} KB per connection`,
    );

    const reports = swarms.map((swarm) => swarm.next('received', 60_000));
    for (const swarm of swarms) swarm.command({ type: 'arm' });
    await sleep(200);
    const postedAt = monotonicMicros();
    await postCall();
    const deadline = setTimeout(() => swarms.forEach((swarm) => swarm.command({ type: 'collect' })), 30_000);
    const received = await Promise.all(reports);
    clearTimeout(deadline);
    const delays = received.flatMap((report) => report.times.map((t) => (t - postedAt) / 1000));
    const missing = received.reduce((sum, report) => sum + report.missing, 0);
    const summary = summarize(delays);
    const fanOut = { allReceivedMs: summary.max ?? NaN, p50Ms: summary.p50, p99Ms: summary.p99, missing };
    console.log(
      `${label}: queue snapshot after one call reached all ${tokens.length - missing} sockets in ${fmt(fanOut.allReceivedMs)} ms ` +
        `(p50 ${fmt(fanOut.p50Ms)} ms, p99 ${fmt(fanOut.p99Ms)} ms${missing > 0 ? `, ${missing} never got it` : ''})`,
    );
    return {
      connections: tokens.length,
      connectSeconds: round(connectSeconds, 1),
      rssBeforeMb: mb(before),
      rssAfterMb: mb(after),
      perAgentKb,
      fanOut,
      stormCpuMs,
      stormUs,
    };
  } finally {
    await storm.close();
  }
}

async function resetSqlStats(database: BenchDatabase): Promise<void> {
  try {
    await database.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await database.query('SELECT pg_stat_statements_reset()');
  } catch {
    /* not preloaded on this server: no SQL counts */
  }
}

/** The statements the gateway ran over the storm (pg_stat_statements since the reset), per connection. */
async function printSqlPerConnection(database: BenchDatabase, connections: number): Promise<void> {
  try {
    const statements = await database.query<{ query: string; calls: string; total_ms: number }>(
      `SELECT query, calls, total_exec_time AS total_ms FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY calls DESC`,
    );
    const calls = statements.reduce((sum, s) => sum + Number(s.calls), 0);
    console.log(
      `tether: SQL over the connect storm: ${calls} statements = ${fmt(calls / connections, 2)} per connection; most called:`,
    );
    for (const s of statements.slice(0, 6))
      console.log(
        `  ${s.calls} calls, ${fmt(s.total_ms, 0)} ms: ${s.query.replace(/\s+/g, ' ').slice(0, 110)}`,
      );
  } catch (error) {
    console.log(`(no SQL statistics: ${(error as Error).message})`);
  }
}

function signedPost(url: string, body: unknown): Promise<void> {
  const raw = JSON.stringify(body);
  return fetch(`${url}/v1/telephony/calls`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tether-signature': signTether(BENCH_SECRETS.webhookSecret, 'POST', '/v1/telephony/calls', raw),
    },
    body: raw,
  }).then(async (response) => {
    if (response.status !== 201)
      throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
  });
}

const CALL = { callId: 'fan-out-1', from: '+15557770001', to: '+15550000001' };

async function bare(): Promise<Measurement> {
  header(`bare socket.io server: ${CONNECTIONS} connections from ${SWARMS} processes`);
  const server = await startBareTransport({ secret: BENCH_SECRETS.webhookSecret });
  try {
    const tokens = Array.from({ length: CONNECTIONS }, (_, i) => `bare-agent-${i + 1}`);
    return await measure('bare', server.process.pid, server.url, tokens, () => signedPost(server.url, CALL));
  } finally {
    await server.process.stop(5_000);
  }
}

async function tether(): Promise<Measurement> {
  header(`tether gateway alone (PostgreSQL + Redis): ${CONNECTIONS} agents from ${SWARMS} processes`);
  const database = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_agents');
  try {
    const redis = redisUrl();
    const admin = await startApp('admin', { databaseUrl: database.url, redisUrl: redis });
    const created = performance.now();
    const agents = await createAgents(admin.url, CONNECTIONS, { concurrency: 32, prefix: 'idle agent' });
    console.log(
      `created ${CONNECTIONS} agents with tokens through the admin API in ${((performance.now() - created) / 1000).toFixed(1)} s`,
    );
    await admin.process.stop();
    const profile = join(tmpdir(), `tether-agents-gateway-${process.pid}.cpuprofile`);
    const [gateway, sales] = await Promise.all([
      startApp('gateway', {
        databaseUrl: database.url,
        redisUrl: redis,
        nodeArgs: PROFILE
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${tmpdir()}`,
              `--cpu-prof-name=${profile.slice(tmpdir().length + 1)}`,
            ]
          : undefined,
      }),
      startApp('sales', { databaseUrl: database.url, redisUrl: redis }),
    ]);
    let stormUs: Measurement['stormUs'] | undefined;
    try {
      const measured = await measure(
        'tether',
        gateway.process.pid,
        gateway.url,
        agents.map((agent) => agent.token),
        () => signedPost(sales.url, CALL),
        await database.serverProcesses(),
        database,
      );
      stormUs = measured.stormUs;
      return measured;
    } finally {
      // killed rather than drained: 10,000 disconnect handlers would only measure the shutdown (a profiled one is
      // given the time to write its profile)
      await Promise.all([gateway.process.stop(PROFILE ? 60_000 : 2_000), sales.process.stop(5_000)]);
      if (PROFILE && stormUs) {
        printProfile('the gateway over the connect storm', summarizeCpuProfile(profile, stormUs));
        rmSync(profile, { force: true });
      }
    }
  } finally {
    await database.drop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const bareResult = await bare();
  const tetherResult = await tether();
  const ratio = round(tetherResult.perAgentKb / bareResult.perAgentKb, 2);
  console.log(
    `\nmemory per idle connected agent: tether ${fmt(tetherResult.perAgentKb)} KB vs bare socket.io ${fmt(bareResult.perAgentKb)} KB = ${fmt(ratio, 2)}x (target <= 1.5x)`,
  );
  console.log(
    `connect storm of ${CONNECTIONS}: tether ${fmt(tetherResult.connectSeconds)} s vs bare socket.io ${fmt(bareResult.connectSeconds)} s = ${fmt(tetherResult.connectSeconds / bareResult.connectSeconds, 2)}x (target <= 2x); ` +
      `CPU per connection: tether ${fmt((tetherResult.stormCpuMs.server * 1000) / CONNECTIONS, 0)} µs + PostgreSQL ${fmt(((tetherResult.stormCpuMs.postgres ?? 0) * 1000) / CONNECTIONS, 0)} µs vs bare ${fmt((bareResult.stormCpuMs.server * 1000) / CONNECTIONS, 0)} µs`,
  );
  console.log(
    `queue snapshot to all ${CONNECTIONS}: tether ${fmt(tetherResult.fanOut.allReceivedMs)} ms vs bare ${fmt(bareResult.fanOut.allReceivedMs)} ms`,
  );
  writeJson(args.string('json'), {
    connections: CONNECTIONS,
    swarms: SWARMS,
    tether: tetherResult,
    bare: bareResult,
    memoryRatio: ratio,
  });
}

runBench(main);
