/**
 * Full contact lifecycle through Tether, as outside systems drive it: signed webhooks in at fixed open-loop rates,
 * agents (socket.io clients) that go available, accept every offer at once and complete it after 0-5 ms, and a
 * local receiver for the signed `contact.connected` callbacks. One Tether process (apps/standalone) over the
 * PostgreSQL the runner provisioned, on a fresh database per scenario.
 *
 *   0. idle: 5 s with the agents connected and available, no calls: Tether's and PostgreSQL's CPU and the SQL
 *      Tether runs per second on its own (timers, polls, sweeps).
 *   1. ramp: 200 agents, rates 25, 50, 75, 100, 150, 200, 300, 500, ... for 10 s each, until a step is not sustained;
 *      Tether runs under `node --cpu-prof` and the profile of the ramp's window is summarised (self time).
 *      pg_stat_statements (when the server has it) counts the SQL Tether ran per completed lifecycle.
 *   2. past the limit (on the ramp's process): 2x the max sustained rate for a step (webhook latency, 503s of the
 *      intake's admission limit, nothing accepted lost), then half the max sustained rate (it recovers on its own);
 *   3. latency target: 1,000 connected agents, 200 calls/s for 15 s.
 *
 * Run through `npm run bench -- lifecycle`. Options: --agents 200, --rates 100,200,..., --step-seconds 10,
 * --drain-seconds 15, --target-agents 1000, --target-rate 200, --target-seconds 15, --no-profile, --no-target, --no-overload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchArgs, header, sleep, writeJson } from '../common/bench-cli';
import { runBench } from '../common/bench-main';
import { BenchDatabase } from '../common/bench-database';
import { monotonicMicros, ProfileSummary, summarizeCpuProfile } from '../common/cpu-profile';
import { runPastTheLimit } from '../common/past-the-limit';
import { CpuMeter, MachineCpuMeter } from '../common/proc-stats';
import { fmt, printTable, round } from '../common/stats';
import { BENCH_SECRETS } from '../common/tether-processes';
import { CallLedger } from '../load/call-ledger';
import { CallbackReceiver } from '../load/callback-receiver';
import { DEFAULT_RATES, StepResult } from '../load/load-run';
import { CurrentLedger, Scenario, startScenario, stopScenario, tableSizes } from '../load/tether-scenario';

const args = new BenchArgs();
const AGENTS = args.number('agents', 200);
const RATES = args.numbers('rates', DEFAULT_RATES);
const STEP_SECONDS = args.number('step-seconds', 10);
const DRAIN_SECONDS = args.number('drain-seconds', 15);
const TARGET_AGENTS = args.number('target-agents', 1000);
const TARGET_RATE = args.number('target-rate', 200);
const TARGET_SECONDS = args.number('target-seconds', 15);
const PROFILE = !args.flag('no-profile');
const OVERLOAD = !args.flag('no-overload');
const RESULTS_DIR = args.string('results-dir');

interface SqlStatement {
  query: string;
  callsPerLifecycle: number;
  msPerLifecycle: number;
  meanMs: number;
}

interface SqlPerLifecycle {
  lifecycles: number;
  statementsPerLifecycle: number;
  transactionsPerLifecycle: number;
  dbMsPerLifecycle: number;
  top: SqlStatement[];
}

const current: CurrentLedger = { ledger: new CallLedger() };
const receiver = new CallbackReceiver(BENCH_SECRETS.webhookSecret, () => current.ledger);

/** pg_stat_statements of this database since the reset, per completed lifecycle. */
async function sqlPerLifecycle(
  database: BenchDatabase,
  lifecycles: number,
): Promise<SqlPerLifecycle | undefined> {
  try {
    const statements = await database.query<{
      query: string;
      calls: string;
      total_ms: number;
      mean_ms: number;
    }>(
      `SELECT query, calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC`,
    );
    const per = (value: number): number => round(value / Math.max(1, lifecycles), 2);
    const calls = statements.reduce((sum, s) => sum + Number(s.calls), 0);
    const total = statements.reduce((sum, s) => sum + s.total_ms, 0);
    return {
      lifecycles,
      statementsPerLifecycle: per(calls),
      // explicit transactions; every other statement is a transaction of its own (autocommit)
      transactionsPerLifecycle: per(
        statements
          .filter((s) => /^(START TRANSACTION|BEGIN)/i.test(s.query))
          .reduce((sum, s) => sum + Number(s.calls), 0),
      ),
      dbMsPerLifecycle: round(total / Math.max(1, lifecycles), 3),
      // every statement Tether ran, most expensive first (the README's findings cite these)
      top: statements.slice(0, 40).map((s) => ({
        query: s.query.replace(/\s+/g, ' ').slice(0, 300),
        callsPerLifecycle: per(Number(s.calls)),
        msPerLifecycle: round(s.total_ms / Math.max(1, lifecycles), 3),
        meanMs: round(s.mean_ms, 3),
      })),
    };
  } catch (error) {
    console.log(`(no SQL statistics: ${(error as Error).message})`);
    return undefined;
  }
}

async function resetSqlStats(database: BenchDatabase): Promise<void> {
  try {
    await database.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await database.query('SELECT pg_stat_statements_reset()');
  } catch {
    /* not preloaded on this server: figures without SQL counts */
  }
}

interface IdleFigures {
  seconds: number;
  cpuPercent: { tether: number; postgres: number; machine: number };
  statementsPerSecond: number;
  transactionsPerSecond: number;
  top: { query: string; callsPerSecond: number }[];
}

/** Nothing happening but connected agents: what Tether and PostgreSQL spend on their own (timers, polls, sweeps). */
async function measureIdle(scenario: Scenario, seconds: number): Promise<IdleFigures | undefined> {
  await resetSqlStats(scenario.database);
  const tether = new CpuMeter(() => [scenario.system.process.pid]);
  const postgres = new CpuMeter(await scenario.database.serverProcesses());
  const machine = new MachineCpuMeter();
  tether.start();
  postgres.start();
  machine.start();
  await sleep(seconds * 1000);
  const cpuPercent = {
    tether: tether.stop().cpuPercent,
    postgres: postgres.stop().cpuPercent,
    machine: machine.stop().cpuPercent,
  };
  const sql = await sqlPerLifecycle(scenario.database, seconds);
  if (!sql) return undefined;
  const idle = {
    seconds,
    cpuPercent,
    statementsPerSecond: sql.statementsPerLifecycle,
    transactionsPerSecond: sql.transactionsPerLifecycle,
    top: [...sql.top]
      .sort((a, b) => b.callsPerLifecycle - a.callsPerLifecycle)
      .slice(0, 8)
      .map((s) => ({ query: s.query, callsPerSecond: s.callsPerLifecycle })),
  };
  console.log(
    `idle (${seconds} s, agents connected, no calls): tether ${cpuPercent.tether}% CPU, PostgreSQL ${cpuPercent.postgres}%, ` +
      `${idle.statementsPerSecond} statements/s, ${idle.transactionsPerSecond} explicit transactions/s`,
  );
  return idle;
}

function printProfile(profile: ProfileSummary): void {
  console.log(
    `\nCPU profile of the Tether process over the ramp (${profile.windowSeconds} s, busy ${profile.busyPercentOfCore}% of one core); self time:`,
  );
  printTable([
    ['area', 'self ms', '% busy'],
    ...profile.byArea.slice(0, 12).map((e) => [e.name, fmt(e.selfMs, 0), fmt(e.selfPercent)]),
  ]);
  console.log('');
  printTable([
    ['function', 'self ms', '% busy'],
    ...profile.topFunctions.slice(0, 15).map((e) => [e.name, fmt(e.selfMs, 0), fmt(e.selfPercent)]),
  ]);
  for (const { function: name, via } of profile.callers) {
    console.log(
      `  ${name} is called from: ${via.map((v) => `${v.name} ${fmt(v.selfPercent, 0)}%`).join(', ')}`,
    );
  }
}

function printSql(sql: SqlPerLifecycle): void {
  console.log(
    `\nSQL per completed lifecycle (pg_stat_statements, ${sql.lifecycles} lifecycles): ${sql.statementsPerLifecycle} statements, ` +
      `${sql.transactionsPerLifecycle} explicit transactions (BEGIN...COMMIT; the other statements autocommit), ${sql.dbMsPerLifecycle} ms of execution`,
  );
  printTable([
    ['statement', 'calls/lc', 'ms/lc', 'mean ms'],
    ...sql.top
      .slice(0, 12)
      .map((s) => [
        s.query.slice(0, 110),
        fmt(s.callsPerLifecycle, 2),
        fmt(s.msPerLifecycle, 3),
        fmt(s.meanMs, 3),
      ]),
  ]);
}

async function main(): Promise<void> {
  const callbackUrl = await receiver.listen();
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-lifecycle-'));
  const profileDir = RESULTS_DIR ?? dataDir;
  const profileName = 'tether-lifecycle.cpuprofile';
  try {
    header(`ramp: ${AGENTS} agents, ${STEP_SECONDS} s per rate${PROFILE ? ', Tether under --cpu-prof' : ''}`);
    const ramp = await startScenario({
      name: 'tether_bench_ramp',
      agents: AGENTS,
      callbackUrl,
      dataDir,
      current,
      nodeArgs: PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${profileName}`]
        : [],
    });
    const idle = await measureIdle(ramp, 5);
    await resetSqlStats(ramp.database);
    const fromUs = monotonicMicros();
    const steps = await ramp.run.ramp(RATES, STEP_SECONDS, DRAIN_SECONDS);
    const toUs = monotonicMicros();
    await ramp.run.finalDrain(30_000);
    const completed = steps.reduce((sum, step) => sum + step.completed, 0);
    const sql = await sqlPerLifecycle(ramp.database, completed);
    const tables = await tableSizes(ramp.database);
    const sustainedSteps = steps.filter((step) => step.sustained);
    const topRate =
      sustainedSteps.length > 0 ? Math.max(...sustainedSteps.map((step) => step.targetRate)) : 0;
    const pastTheLimit =
      OVERLOAD && topRate > 0
        ? await runPastTheLimit(ramp.run, topRate, { stepSeconds: STEP_SECONDS, drainSeconds: DRAIN_SECONDS })
        : undefined;
    const fleetCounters = { ...ramp.fleet.counters };
    const strays = ramp.run.ledger.strays;
    await stopScenario(ramp);
    let profile: ProfileSummary | undefined;
    if (PROFILE) {
      profile = summarizeCpuProfile(join(profileDir, profileName), { fromUs, toUs });
      printProfile(profile);
    }
    if (sql) printSql(sql);
    const sustained = steps.filter((step) => step.sustained);
    const maxSustainedRate = sustained.length > 0 ? Math.max(...sustained.map((step) => step.targetRate)) : 0;
    const bestAchievedRate = Math.max(0, ...steps.map((step) => step.achievedRate));
    console.log(
      `\nmax sustained rate with 0 errors: ${maxSustainedRate}/s (best completed rate in any step: ${fmt(bestAchievedRate)}/s)`,
    );

    let latencyTarget: StepResult | undefined;
    let targetIdleRssMb: number | undefined;
    if (!args.flag('no-target')) {
      header(
        `latency target: ${TARGET_AGENTS} connected agents, ${TARGET_RATE} calls/s for ${TARGET_SECONDS} s`,
      );
      const big = await startScenario({
        name: 'tether_bench_target',
        agents: TARGET_AGENTS,
        callbackUrl,
        dataDir,
        current,
      });
      targetIdleRssMb = big.idleRssMb;
      latencyTarget = await big.run.step({
        label: `${TARGET_RATE}/s`,
        rate: TARGET_RATE,
        durationS: TARGET_SECONDS,
        drainS: DRAIN_SECONDS,
      });
      await big.run.finalDrain(30_000);
      await stopScenario(big);
      const p99 = latencyTarget.latencyMs.webhookToOffer.p99;
      console.log(
        `webhook->offer p99 at ${TARGET_RATE}/s with ${TARGET_AGENTS} agents: ${fmt(p99, 2)} ms (target <= 25 ms)`,
      );
    }

    writeJson(args.string('json'), {
      settings: {
        agents: AGENTS,
        rates: RATES,
        stepSeconds: STEP_SECONDS,
        drainSeconds: DRAIN_SECONDS,
        thinkMs: '0-5',
        profiled: PROFILE,
      },
      idleRssMb: ramp.idleRssMb,
      idle,
      ramp: steps,
      maxSustainedRate,
      bestAchievedRate,
      latencyTarget,
      latencyTargetSettings: {
        agents: TARGET_AGENTS,
        rate: TARGET_RATE,
        seconds: TARGET_SECONDS,
        idleRssMb: targetIdleRssMb,
      },
      fleet: fleetCounters,
      strayEvents: strays,
      sqlPerLifecycle: sql,
      tablesAfterRamp: tables,
      pastTheLimit,
      profile: profile && { file: RESULTS_DIR ? `bench/results/${profileName}` : undefined, ...profile },
    });
  } finally {
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
