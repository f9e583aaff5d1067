/**
 * Tether as shipped: started exactly as `npm start` starts it (default environment and logging, its own embedded
 * PostgreSQL reached as it reaches it by default; see `AS_SHIPPED_LIFTED_LIMITS` for the few settings the bench
 * adds, printed with the figures), driven with no ramp and no warm-up by the lifecycle part's load generator:
 *
 *   per run (--runs 3; each a fresh data directory, i.e. a first start):
 *     0. the floors at the same rates in the same run: the bare transport (node:http + socket.io, in memory) and
 *        the durable floor (the same plus three autocommitted statements per lifecycle, synchronous commit, on the
 *        runner's PostgreSQL: its unix socket unless `--tcp`; `bench/durable/`);
 *     1. Tether is started, its 200 agents created, connected and set available; the first call is sent the moment
 *        the last agent is available (no ramp, no pause): 100 calls/s for --step-seconds (10);
 *     2. after that step's drain, 200 calls/s for --step-seconds on the same process.
 *   Per step: the first 5 s (--first-seconds) second by second (webhook->offer p50/p99/max of the calls sent in that second), and
 *   the steady state (calls sent from 2 s after the step's first call on).
 *   At the end: min / median / max over the runs of every figure, and of Tether's ratios to the floors (each ratio
 *   from one run, Tether and floors measured minutes apart on the same shared machine).
 *
 * Run through `npm run bench -- shipped`. Options: --runs 3, --agents 200, --shipped-rates 100,200,
 * --step-seconds 10, --drain-seconds 15, --no-floors, --compare NAME=VALUE (also Tether with that one setting changed in
 * every run, just before the one as shipped: its effect as same-run ratios), --cold (= --compare TETHER_WARM_UP=false), --profile (Tether as shipped under `node
 * --cpu-prof`, summarised from its first call to its last; the .cpuprofile files land in bench/results/).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchArgs, header, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { StartedProcess } from '../common/child-process';
import { monotonicMicros, ProfileSummary, summarizeCpuProfile } from '../common/cpu-profile';
import { fmt, LatencySummary, median, printTable, round, summarize } from '../common/stats';
import { AS_SHIPPED_LIFTED_LIMITS, startAsShipped } from '../common/tether-as-shipped';
import { BENCH_SECRETS, createAgents, lineRules } from '../common/tether-processes';
import { AgentFleet } from '../load/agent-fleet';
import { CallLedger, CallRecord } from '../load/call-ledger';
import { CallbackReceiver } from '../load/callback-receiver';
import { LoadRun, StepResult } from '../load/load-run';
import { startBareTransport } from '../transport/start-bare-transport';
import { startDurableFloor } from '../durable/start-durable-floor';

const args = new BenchArgs();
const RUNS = args.number('runs', 3);
const AGENTS = args.number('agents', 200);
/**
 * 100/s first: the first seconds after a start are measured at a rate this machine sustains as shipped, so they show
 * the cold start and not an overload (200/s as shipped was not sustained on a shared 2-core machine: bench/README.md)
 */
const RATES = args.numbers('shipped-rates', [100, 200]);
const STEP_SECONDS = args.number('step-seconds', 10);
const DRAIN_SECONDS = args.number('drain-seconds', 15);
const FLOORS = !args.flag('no-floors');
/**
 * `--compare NAME=VALUE`: also run Tether with that one setting changed in every run, just before the run as shipped,
 * and print the ratios (`--cold` = `--compare TETHER_WARM_UP=false`: the start-up warm-up's effect)
 */
const COMPARE = parseCompare(args.flag('cold') ? 'TETHER_WARM_UP=false' : args.string('compare'));
const COMPARED = COMPARE && `tether, ${COMPARE.name}=${COMPARE.value}`;

function parseCompare(raw: string | undefined): { name: string; value: string } | undefined {
  if (!raw) return undefined;
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(raw);
  if (!match) throw new Error(`--compare takes NAME=VALUE (got ${raw})`);
  return { name: match[1], value: match[2] };
}
/** Tether (as shipped) of every run under `node --cpu-prof`; the window from its first call to its last is summarised */
const PROFILE = args.flag('profile');
const RESULTS_DIR = args.string('results-dir');
/** how many of a step's first seconds are shown second by second (--first-seconds; the target is about the first 5) */
const FIRST_SECONDS = args.number('first-seconds', 5);
const STEADY_AFTER_S = 2;

let ledger = new CallLedger();
const receiver = new CallbackReceiver(BENCH_SECRETS.webhookSecret, () => ledger);

/** webhook->offer of the calls sent in one second of a step */
interface SecondFigures {
  second: number;
  calls: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

interface StepFigures {
  rate: number;
  firstSeconds: SecondFigures[];
  /** calls sent from STEADY_AFTER_S on */
  steady: { webhookToOffer: LatencySummary; webhook: LatencySummary };
  step: StepResult;
}

interface TargetRun {
  name: string;
  steps: StepFigures[];
  /** from spawning Tether to every app answering /health */
  startMs?: number;
}

const offerLatency = (r: CallRecord): number[] => (r.offers.length > 0 ? [r.offers[0].at - r.sentAt] : []);

function figuresOf(run: LoadRun, index: number, step: StepResult): StepFigures {
  const records = run.ledger.forStep(index);
  const first = Math.min(...records.map((r) => r.scheduledAt));
  const since = (r: CallRecord): number => (r.scheduledAt - first) / 1000;
  const firstSeconds: SecondFigures[] = [];
  for (let second = 0; second < Math.min(FIRST_SECONDS, STEP_SECONDS); second++) {
    const inSecond = records.filter((r) => since(r) >= second && since(r) < second + 1);
    const s = summarize(inSecond.flatMap(offerLatency));
    firstSeconds.push({ second, calls: inSecond.length, p50: s.p50, p99: s.p99, max: s.max });
  }
  const steady = records.filter((r) => since(r) >= STEADY_AFTER_S);
  return {
    rate: step.targetRate,
    firstSeconds,
    steady: {
      webhookToOffer: summarize(steady.flatMap(offerLatency)),
      webhook: summarize(
        steady.filter((r) => r.respondedAt !== undefined).map((r) => r.respondedAt! - r.sentAt),
      ),
    },
    step,
  };
}

/** Connects the fleet, goes available, and runs RATES one after the other; the first call goes out at once. */
async function drive(
  name: string,
  target: {
    url: string;
    gatewayUrl: string;
    process: StartedProcess;
    secret: string;
    postgresPids?: () => number[];
  },
  credentials: { agentId: string; token: string }[],
  offerTimeoutMs = 20_000,
): Promise<StepFigures[]> {
  const fleet = new AgentFleet(target.gatewayUrl, credentials, () => ledger, 5, offerTimeoutMs);
  await fleet.connect();
  await fleet.goAvailable();
  const run = new LoadRun(
    {
      name,
      lineUrl: target.url,
      pid: target.process.pid,
      postgresPids: target.postgresPids,
      secret: target.secret,
    },
    name.replace(/\W+/g, '-'),
    fleet,
    offerTimeoutMs,
  );
  ledger = run.ledger;
  const steps: StepResult[] = [];
  for (const rate of RATES)
    steps.push(await run.step({ rate, durationS: STEP_SECONDS, drainS: DRAIN_SECONDS }));
  await run.finalDrain(30_000);
  fleet.close();
  run.close();
  return steps.map((step, index) => figuresOf(run, index, step));
}

async function bareTransport(runIndex: number, callbackUrl: string): Promise<TargetRun> {
  receiver.secret = BENCH_SECRETS.webhookSecret;
  const server = await startBareTransport({ secret: BENCH_SECRETS.webhookSecret, callbackUrl });
  try {
    const steps = await drive(
      `bare transport r${runIndex + 1}`,
      {
        url: server.url,
        gatewayUrl: server.url,
        process: server.process,
        secret: BENCH_SECRETS.webhookSecret,
      },
      floorAgents(),
    );
    return { name: 'bare transport', steps };
  } finally {
    await server.process.stop();
  }
}

const floorAgents = (): { agentId: string; token: string }[] =>
  Array.from({ length: AGENTS }, (_, i) => ({
    agentId: `floor-agent-${i + 1}`,
    token: `floor-agent-${i + 1}`,
  }));

/** The durable floor on a fresh database of the runner's PostgreSQL (`BENCH_DATABASE_URL`). */
async function durableFloor(runIndex: number, callbackUrl: string, serverUrl: string): Promise<TargetRun> {
  receiver.secret = BENCH_SECRETS.webhookSecret;
  const database = await BenchDatabase.create(serverUrl, 'tether_bench_durable_floor');
  try {
    const server = await startDurableFloor({
      secret: BENCH_SECRETS.webhookSecret,
      databaseUrl: database.url,
      callbackUrl,
    });
    try {
      const steps = await drive(
        `durable floor r${runIndex + 1}`,
        {
          url: server.url,
          gatewayUrl: server.url,
          process: server.process,
          secret: BENCH_SECRETS.webhookSecret,
          postgresPids: await database.serverProcesses(),
        },
        floorAgents(),
      );
      return { name: 'durable floor', steps };
    } finally {
      await server.process.stop();
    }
  } finally {
    await database.drop().catch(() => undefined);
  }
}

async function tetherAsShipped(
  runIndex: number,
  callbackUrl: string,
  variant?: { name: string; env: Record<string, string> },
): Promise<TargetRun> {
  const name = variant?.name ?? 'tether as shipped';
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-shipped-'));
  // as root, embedded PostgreSQL runs as the postgres user, who must pass through the directory (0711, as npm start
  // makes its own data directory)
  chmodSync(dataDir, 0o711);
  try {
    const profileName = `tether-shipped-r${runIndex + 1}.cpuprofile`;
    const profileDir = RESULTS_DIR ?? dataDir;
    const profiled = PROFILE && !variant;
    const tether = await startAsShipped({
      dataDir,
      callbackUrl,
      extraEnv: variant?.env,
      nodeArgs: profiled
        ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${profileName}`]
        : undefined,
    });
    let window: { fromUs: number; toUs: number } | undefined;
    try {
      receiver.secret = tether.webhookSecret;
      const setupFrom = performance.now();
      const credentials = await createAgents(tether.adminUrl, AGENTS, { adminToken: tether.adminToken });
      const { offerTimeoutSeconds } = await lineRules(tether.adminUrl, 'sales', tether.adminToken);
      console.log(
        `${name} answered /health ${fmt(tether.startMs / 1000)} s after it was spawned (a first start: ` +
          `initdb, migrations); ${AGENTS} agents created in ${fmt((performance.now() - setupFrom) / 1000)} s`,
      );
      const fromUs = monotonicMicros();
      const steps = await drive(
        `${name} r${runIndex + 1}`,
        {
          url: tether.salesUrl,
          gatewayUrl: tether.gatewayUrl,
          process: tether.process,
          secret: tether.webhookSecret,
          postgresPids: tether.postgresPids,
        },
        credentials,
        offerTimeoutSeconds * 1000,
      );
      window = { fromUs, toUs: monotonicMicros() };
      return { name, steps, startMs: round(tether.startMs, 0) };
    } finally {
      await tether.process.stop();
      if (profiled && window) printProfile(summarizeCpuProfile(join(profileDir, profileName), window));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printProfile(profile: ProfileSummary): void {
  console.log(
    `\nCPU profile of tether as shipped from its first call to its last (${profile.windowSeconds} s, busy ${profile.busyPercentOfCore}% of one core); self time:`,
  );
  printTable([
    ['area', 'self ms', '% busy'],
    ...profile.byArea.slice(0, 12).map((e) => [e.name, fmt(e.selfMs, 0), fmt(e.selfPercent)]),
  ]);
  printTable([
    ['function', 'self ms', '% busy'],
    ...profile.topFunctions.slice(0, 20).map((e) => [e.name, fmt(e.selfMs, 0), fmt(e.selfPercent)]),
  ]);
  for (const { function: name, via } of profile.callers)
    console.log(
      `  ${name} is called from: ${via.map((v) => `${v.name} ${fmt(v.selfPercent, 0)}%`).join(', ')}`,
    );
}

function printFirstSeconds(run: TargetRun): void {
  const rows = [['step', 'figure', ...Array.from({ length: FIRST_SECONDS }, (_, s) => `${s}-${s + 1} s`)]];
  for (const step of run.steps) {
    rows.push([
      `${step.rate}/s`,
      'p50 / p99 / max',
      ...step.firstSeconds.map((s) => `${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)}`),
    ]);
  }
  console.log(`\n${run.name}: webhook->offer (ms) of the calls sent in each of the first seconds`);
  printTable(rows);
}

interface Spread {
  min: number | null;
  median: number | null;
  max: number | null;
}

function spread(values: readonly (number | null | undefined)[]): Spread {
  const known = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  if (known.length === 0) return { min: null, median: null, max: null };
  return { min: Math.min(...known), median: round(median(known)), max: Math.max(...known) };
}

/**
 * CPU the target process spent per completed lifecycle over the step's sending window (1% of a core = 10 ms/s): a
 * figure that holds better than latency when other work shares the machine
 */
function cpuMsPerLifecycle(step: StepFigures | undefined): number | null {
  if (!step || step.step.achievedRate <= 0) return null;
  return round((step.step.cpuPercent.target * 10) / step.step.achievedRate);
}

/** the worst per-second webhook->offer p99 of a step's first 5 s (what "warm from the first call" is about) */
function worstOfFirstFive(step: StepFigures | undefined): number | undefined {
  if (!step) return undefined;
  return Math.max(...step.firstSeconds.slice(0, 5).map((s) => s.p99 ?? 0));
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a !== null && a !== undefined && b !== null && b !== undefined && b > 0 ? round(a / b) : null;

async function main(): Promise<void> {
  const callbackUrl = await receiver.listen();
  const runs: { tether: TargetRun; floors: TargetRun[]; cold?: TargetRun }[] = [];
  try {
    console.log(
      `Tether started as \`npm start\` starts it; settings added to its default environment: free ports, a fresh ` +
        `TETHER_DATA_DIR per run, the callback URL, and two per-address limits the one-address load generator ` +
        `would hit while setting up: ${Object.entries(AS_SHIPPED_LIFTED_LIMITS)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')} (the webhook and socket event limits stay at their defaults)`,
    );
    for (let r = 0; r < RUNS; r++) {
      const floors: TargetRun[] = [];
      if (FLOORS) {
        header(
          `run ${r + 1}/${RUNS}: bare transport floor, ${AGENTS} agents, ${RATES.join(' then ')} calls/s`,
        );
        floors.push(await bareTransport(r, callbackUrl));
        const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
        if (serverUrl) {
          header(`run ${r + 1}/${RUNS}: durable floor, ${AGENTS} agents, ${RATES.join(' then ')} calls/s`);
          floors.push(await durableFloor(r, callbackUrl, serverUrl));
        }
      }
      let cold: TargetRun | undefined;
      if (COMPARE && COMPARED) {
        header(`run ${r + 1}/${RUNS}: ${COMPARED}, ${AGENTS} agents, no ramp`);
        cold = await tetherAsShipped(r, callbackUrl, {
          name: COMPARED,
          env: { [COMPARE.name]: COMPARE.value },
        });
        printFirstSeconds(cold);
      }
      header(`run ${r + 1}/${RUNS}: tether as shipped (first start), ${AGENTS} agents, no ramp`);
      const tether = await tetherAsShipped(r, callbackUrl);
      printFirstSeconds(tether);
      runs.push({ tether, floors, cold });
    }

    // ---------------------------------------------------------------- over the runs
    const at = (run: TargetRun | undefined, rate: number): StepFigures | undefined =>
      run?.steps.find((s) => s.rate === rate);
    const floorNames = runs[0]?.floors.map((f) => f.name) ?? [];
    const summary: Record<string, Spread> = {};
    const rows: string[][] = [['figure (ms)', 'min', 'median', 'max']];
    const add = (label: string, values: (number | null | undefined)[]): void => {
      const s = spread(values);
      summary[label] = s;
      rows.push([label, fmt(s.min, 2), fmt(s.median, 2), fmt(s.max, 2)]);
    };
    for (const rate of RATES) {
      for (let second = 0; second < Math.min(FIRST_SECONDS, STEP_SECONDS); second++)
        add(
          `tether ${rate}/s: webhook->offer p99, calls sent in second ${second}-${second + 1}`,
          runs.map((run) => at(run.tether, rate)?.firstSeconds[second]?.p99),
        );
      add(
        `tether ${rate}/s: webhook->offer p99, first 5 s (worst second)`,
        runs.map((run) => worstOfFirstFive(at(run.tether, rate))),
      );
      for (const [label, pick] of [
        ['p50', (s: LatencySummary) => s.p50],
        ['p99', (s: LatencySummary) => s.p99],
      ] as const) {
        add(
          `tether ${rate}/s: steady webhook->offer ${label}`,
          runs.map((run) => {
            const step = at(run.tether, rate);
            return step && pick(step.steady.webhookToOffer);
          }),
        );
        for (const [i, name] of floorNames.entries())
          add(
            `${name} ${rate}/s: steady webhook->offer ${label}`,
            runs.map((run) => {
              const step = at(run.floors[i], rate);
              return step && pick(step.steady.webhookToOffer);
            }),
          );
      }
      if (COMPARED) {
        const worst = (run: TargetRun | undefined): number | undefined => worstOfFirstFive(at(run, rate));
        add(
          `${COMPARED} ${rate}/s: webhook->offer p99, calls sent in second 0-1`,
          runs.map((run) => at(run.cold, rate)?.firstSeconds[0]?.p99),
        );
        add(
          `${COMPARED} ${rate}/s: webhook->offer p99, first 5 s (worst second)`,
          runs.map((run) => worst(run.cold)),
        );
        add(
          `${COMPARED} ${rate}/s: steady webhook->offer p99`,
          runs.map((run) => at(run.cold, rate)?.steady.webhookToOffer.p99),
        );
        add(
          `ratio as shipped / ${COMPARED} ${rate}/s: webhook->offer p99, second 0-1 (x)`,
          runs.map((run) =>
            ratio(at(run.tether, rate)?.firstSeconds[0]?.p99, at(run.cold, rate)?.firstSeconds[0]?.p99),
          ),
        );
        add(
          `ratio as shipped / ${COMPARED} ${rate}/s: first 5 s worst-second p99 (x)`,
          runs.map((run) => ratio(worst(run.tether), worst(run.cold))),
        );
        add(
          `ratio as shipped / ${COMPARED} ${rate}/s: steady webhook->offer p99 (x)`,
          runs.map((run) =>
            ratio(
              at(run.tether, rate)?.steady.webhookToOffer.p99,
              at(run.cold, rate)?.steady.webhookToOffer.p99,
            ),
          ),
        );
        add(
          `${COMPARED} ${rate}/s: Tether CPU ms per completed lifecycle`,
          runs.map((run) => cpuMsPerLifecycle(at(run.cold, rate))),
        );
        add(
          `ratio as shipped / ${COMPARED} ${rate}/s: Tether CPU per lifecycle (x)`,
          runs.map((run) =>
            ratio(cpuMsPerLifecycle(at(run.tether, rate)), cpuMsPerLifecycle(at(run.cold, rate))),
          ),
        );
      }
      add(
        `ratio tether first 5 s worst-second p99 / its own steady p99 ${rate}/s (x)`,
        runs.map((run) =>
          ratio(worstOfFirstFive(at(run.tether, rate)), at(run.tether, rate)?.steady.webhookToOffer.p99),
        ),
      );
      add(
        `tether ${rate}/s: Tether CPU ms per completed lifecycle`,
        runs.map((run) => cpuMsPerLifecycle(at(run.tether, rate))),
      );
      add(
        `tether ${rate}/s: steady webhook (HTTP) p99`,
        runs.map((run) => at(run.tether, rate)?.steady.webhook.p99),
      );
      for (const [i, name] of floorNames.entries())
        add(
          `ratio tether / ${name} ${rate}/s: steady webhook->offer p99 (x)`,
          runs.map((run) =>
            ratio(
              at(run.tether, rate)?.steady.webhookToOffer.p99,
              at(run.floors[i], rate)?.steady.webhookToOffer.p99,
            ),
          ),
        );
    }
    header(`tether as shipped over ${runs.length} runs (steady = calls sent from ${STEADY_AFTER_S} s on)`);
    printTable(rows);
    const lost = runs.reduce((sum, run) => sum + run.tether.steps.reduce((s, x) => s + x.step.lost, 0), 0);
    const doubles = runs.reduce(
      (sum, run) => sum + run.tether.steps.reduce((s, x) => s + x.step.doubleOffers, 0),
      0,
    );
    const errors = runs.reduce(
      (sum, run) => sum + run.tether.steps.reduce((s, x) => s + x.step.errors.total, 0),
      0,
    );
    console.log(`tether as shipped: ${errors} errors, ${lost} lost, ${doubles} double offers over every run`);

    writeJson(args.string('json'), {
      settings: {
        runs: RUNS,
        agents: AGENTS,
        rates: RATES,
        stepSeconds: STEP_SECONDS,
        firstSeconds: FIRST_SECONDS,
        steadyAfterSeconds: STEADY_AFTER_S,
        liftedLimits: AS_SHIPPED_LIFTED_LIMITS,
      },
      summary,
      totals: { errors, lost, doubles },
      runs,
    });
  } finally {
    await receiver.close();
  }
}

runBench(main);
