/**
 * Outcome reports (libs/reports) over a large event history, and what writing that history costs the lifecycle.
 *
 *  1. Reports over ~1,000,000 stored events: 30 days of contacts on three lines (queued, offered, some rejected and
 *     offered again, answered or abandoned in the queue or during the offer, transfers, ended, completed, incident
 *     notices), inserted in time order as the triggers would have written them, with agents' presence changes;
 *     then the rollup (`ReportRollupService.step` until it is caught up, timed: what the `reports.rollup` job does
 *     once for a backlog, then every 15 minutes for the quarter that turned a day old), then `ReportService.lines`,
 *     `agents` and `incidents` over the whole 30 days (day buckets), one day (15-minute buckets) and a week of one
 *     line, each timed over --report-runs runs (median and slowest); the same reports with no rollup (all live)
 *     once each, for comparison, unless --no-live.
 *  2. The cost of writing the events: pgbench running the lifecycle's SQL (bench/pgbench/lifecycle.pgbench.sql) with
 *     the history's triggers enabled and disabled, alternately (on/off, then off/on, ...), --pg-rounds rounds: the
 *     medians either way, the cost per round (on against the off of the same round), and their spread.
 *
 *
 * `--whole` (or `npm run bench -- history-cost`): instead of both, the history's cost on Tether's whole lifecycle,
 * Tether as `npm start` starts it, history on and off in alternating rounds (`whole-lifecycle.ts`). Options:
 * --history-rounds 6, --history-rate 100, --history-agents 200, --step-seconds 8, --drain-seconds 15,
 * --history-warmup-seconds 5, --history-idle-seconds 5 (Tether's and PostgreSQL's CPU with no call in flight),
 * --history-ramp-rates (none by default, e.g. 100,200,300,400,500).
 *
 * Run through `npm run bench -- reports`. Options: --contacts 200000 (≈ 5 events each), --report-runs 5,
 * --pg-clients 8, --pg-seconds 8, --pg-rounds 6, --no-live, --keep (the reports' database is kept, to profile).
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { TetherPgClient, pipelineFromEnv, preparedStatementsFromEnv } from '@tether/persistence';
import { ReportQuery, ReportRollupService, ReportService } from '@tether/reports';
import type { DurableScheduler } from '@tether/scheduler';
import { BenchArgs, header, REPO_ROOT, serverDatabaseUrl, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { processTicks } from '../common/proc-stats';
import { setEventHistory } from '../common/event-history';
import { fmt, median, printTable, round } from '../common/stats';
import { historyCostOnWholeLifecycle } from './whole-lifecycle';

const args = new BenchArgs();
const CONTACTS = args.number('contacts', 200_000);
const REPORT_RUNS = args.number('report-runs', 5);
const PG_CLIENTS = args.number('pg-clients', 8);
const PG_SECONDS = args.number('pg-seconds', 8);
const PG_ROUNDS = args.number('pg-rounds', 6);
const LIVE = !process.argv.includes('--no-live');
/** keep the reports' database (tether_bench_reports) after the run, to profile its queries */
const KEEP = process.argv.includes('--keep');
/** the history's cost on Tether's whole lifecycle (as shipped) instead of the reports and the pgbench rounds */
const WHOLE = args.flag('whole');
/** 30 days up to today's midnight (UTC) */
const DAY0 = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 30 * 86_400_000).toISOString();

const loadAverage = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

/** ≈5 events per contact, in time order (the history is appended as time goes). */
async function seedEvents(database: BenchDatabase): Promise<number> {
  await database.query(`
    CREATE UNLOGGED TABLE bench_contacts AS
    SELECT md5('k' || i)::uuid AS id,
           timestamptz '${DAY0}' + (i * interval '30 days' / ${CONTACTS}) AS at0,
           (ARRAY['sales', 'presales', 'service'])[1 + i % 3] AS line,
           CASE WHEN i % 5 = 0 THEN 'chat' ELSE 'voice' END AS channel,
           md5('c' || (i * 7919) % ${Math.max(1, Math.round(CONTACTS * 0.3))})::uuid AS customer,
           md5('a' || (i * 31) % 50)::uuid AS agent,
           md5('b' || (i * 17) % 50)::uuid AS other_agent,
           CASE WHEN i % 20 = 0 THEN md5('i' || i % 3)::uuid END AS incident,
           (i * 37) % 100 AS r,
           (i * 13) % 60 AS wait
      FROM generate_series(1, ${CONTACTS}) i`);
  await database.query(`
    INSERT INTO contact_events (at, kind, contact_id, line, channel, agent_id, customer_id, incident_id, detail)
    SELECT at, kind, contact_id, line, channel, agent_id, customer_id, incident_id, detail FROM (
      SELECT at0 AS at, 'queued' AS kind, id AS contact_id, line, channel, NULL::uuid AS agent_id, customer AS customer_id,
             incident AS incident_id, NULL::jsonb AS detail FROM bench_contacts
      UNION ALL
      SELECT at0 + interval '2 s', 'offered', id, line, channel, CASE WHEN r % 10 = 3 THEN other_agent ELSE agent END,
             NULL, NULL,
             jsonb_build_object('reason', CASE WHEN r < 10 THEN 'sticky' WHEN r < 15 THEN 'case_owner' ELSE 'skills' END)
        FROM bench_contacts
      UNION ALL
      SELECT at0 + interval '5 s', 'rejected', id, line, channel, other_agent, NULL, NULL, '{"reason":"busy"}'
        FROM bench_contacts WHERE r % 10 = 3
      UNION ALL
      SELECT at0 + interval '6 s', 'offered', id, line, channel, agent, NULL, NULL, '{"reason":"skills"}'
        FROM bench_contacts WHERE r % 10 = 3
      UNION ALL
      SELECT at0 + make_interval(secs => wait), 'abandoned', id, line, channel,
             CASE WHEN r >= 93 THEN agent END, customer, incident,
             jsonb_build_object('from', CASE WHEN r >= 93 THEN 'offered' ELSE 'queued' END, 'reason', 'abandoned')
        FROM bench_contacts WHERE r >= 85
      UNION ALL
      SELECT at0 + make_interval(secs => wait), 'connected', id, line, channel, agent, customer, incident,
             jsonb_build_object('reason', CASE WHEN r < 10 THEN 'sticky' WHEN r < 15 THEN 'case_owner' ELSE 'skills' END,
                                'first', true)
        FROM bench_contacts WHERE r < 85
      UNION ALL
      SELECT at0 + make_interval(secs => wait + 60), 'transferred', id, line, channel, agent, customer, incident,
             '{"toLine":"service","targetKind":"line","mode":"cold"}'
        FROM bench_contacts WHERE r < 85 AND r % 7 = 0
      UNION ALL
      SELECT at0 + make_interval(secs => wait + 180), 'ended', id, line, channel, agent, customer, incident,
             '{"from":"connected","reason":"caller_hung_up"}'
        FROM bench_contacts WHERE r < 85
      UNION ALL
      SELECT at0 + make_interval(secs => wait + 240), 'completed', id, line, channel, agent, customer, incident,
             '{"resolution":"resolved"}'
        FROM bench_contacts WHERE r < 85
      UNION ALL
      SELECT timestamptz '${DAY0}' + (n * interval '30 days' / 3000), 'notified', NULL, NULL, NULL, NULL,
             md5('c' || n)::uuid, md5('i' || n % 3)::uuid, '{"channel":"sms"}'
        FROM generate_series(1, 3000) n
    ) e ORDER BY at`);
  await database.query('DROP TABLE bench_contacts');
  // the 50 agents' presence: available 08:00-12:00 and 12:30-18:00 each day, away at lunch, offline at night
  await database.query(`
    INSERT INTO agent_presence_events (at, agent_id, state)
    SELECT d + t.at, md5('a' || a)::uuid, t.state
      FROM generate_series(timestamptz '${DAY0}', timestamptz '${DAY0}' + interval '29 days', interval '1 day') d,
           generate_series(0, 49) a,
           (VALUES (interval '8 hours', 'available'), (interval '12 hours', 'away'),
                   (interval '12 hours 30 minutes', 'available'), (interval '18 hours', 'offline')) t(at, state)
     ORDER BY 1`);
  await database.query('VACUUM ANALYZE contact_events');
  await database.query('VACUUM ANALYZE agent_presence_events');
  const [{ n }] = await database.query<{ n: string }>('SELECT count(*) AS n FROM contact_events');
  return Number(n);
}

interface Timed {
  report: string;
  range: string;
  rows: number;
  medianMs: number;
  slowestMs: number;
}

const sqlOf = (pool: Pool) =>
  ({
    query: async (text: string, params?: unknown[]): Promise<unknown[]> =>
      (await pool.query(text, params)).rows as unknown[],
    // ReportService reads in a transaction (its SET LOCAL work_mem)
    transaction: async <T>(
      work: (tx: { query: (text: string, params?: unknown[]) => Promise<unknown[]> }) => Promise<T>,
    ) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({
          query: async (text, params) => (await client.query(text, params)).rows as unknown[],
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    },
  }) as unknown as DataSource;

interface Folded {
  contacts: number;
  steps: number;
  seconds: number;
  foldedUntil: string;
}

/** What the `reports.rollup` job does: steps (a day each) until it is caught up to a day behind now. */
async function fold(pool: Pool): Promise<Folded> {
  const rollup = new ReportRollupService(sqlOf(pool), undefined as unknown as DurableScheduler);
  const started = Date.now();
  let contacts = 0;
  let steps = 0;
  for (;;) {
    const step = await rollup.step(sqlOf(pool));
    contacts += step.folded;
    steps++;
    if (!step.more)
      return {
        contacts,
        steps,
        seconds: round((Date.now() - started) / 1000, 1),
        foldedUntil: step.foldedUntil.toISOString(),
      };
  }
}

async function timeReports(pool: Pool, runs = REPORT_RUNS): Promise<Timed[]> {
  const reports = new ReportService(sqlOf(pool));
  const day = (n: number) => new Date(Date.parse(DAY0) + n * 86_400_000);
  const cases: { report: 'lines' | 'agents' | 'incidents'; range: string; query: ReportQuery }[] = [
    { report: 'lines', range: '30 days, by day', query: { from: day(0), to: day(30), bucket: 'day' } },
    {
      report: 'agents',
      range: '30 days, by day',
      query: { from: day(0), to: day(30), bucket: 'day', pageSize: 1000 },
    },
    { report: 'incidents', range: '30 days, by day', query: { from: day(0), to: day(30), bucket: 'day' } },
    { report: 'lines', range: '30 days, by week', query: { from: day(0), to: day(30), bucket: 'week' } },
    {
      report: 'lines',
      range: '1 day, by 15 min',
      query: { from: day(10), to: day(11), bucket: '15m', pageSize: 1000 },
    },
    {
      report: 'lines',
      range: '7 days of sales, by day',
      query: { from: day(7), to: day(14), bucket: 'day', line: 'sales' },
    },
  ];
  const timed: Timed[] = [];
  for (const { report, range, query } of cases) {
    const ms: number[] = [];
    let rows = 0;
    for (let run = 0; run < runs; run++) {
      const started = process.hrtime.bigint();
      const page = await reports[report](query);
      ms.push(Number(process.hrtime.bigint() - started) / 1e6);
      rows = page.rows.length;
    }
    timed.push({ report, range, rows, medianMs: round(median(ms), 1), slowestMs: round(Math.max(...ms), 1) });
  }
  return timed;
}

async function seedAgents(database: BenchDatabase): Promise<void> {
  // as bench/pgbench seeds them: 200 agents with a slot that never runs out
  await database.query(
    `INSERT INTO agents (id, name, lines, skills, capacity)
     SELECT lpad(to_hex(i), 32, '0')::uuid, 'pgbench agent ' || i, ARRAY['sales'], '{}', '{"voice":1}'
     FROM generate_series(1, 200) i`,
  );
  await database.query(`INSERT INTO agent_presence (agent_id, state) SELECT id, 'available' FROM agents`);
  await database.query(
    `INSERT INTO agent_slots (agent_id, channel, capacity, used) SELECT id, 'voice', 1000000, 0 FROM agents`,
  );
  await database.query(`INSERT INTO instances (id, app) VALUES ('pgbench', 'gateway')`);
  await database.query(
    `INSERT INTO agent_connections (socket_id, agent_id, instance_id) SELECT 'pgbench-' || id, id, 'pgbench' FROM agents`,
  );
  await database.query('VACUUM ANALYZE');
}

/** One pgbench run: lifecycles per second and how many ran. */
function pgbench(database: BenchDatabase): { tps: number; lifecycles: number } {
  const run = spawnSync(
    'pgbench',
    [
      ...['-n', '-M', 'extended', '-c', String(PG_CLIENTS), '-j', String(Math.min(2, PG_CLIENTS))],
      ...[
        '-T',
        String(PG_SECONDS),
        '-D',
        'with_pass=1',
        '-f',
        `${REPO_ROOT}/bench/pgbench/lifecycle.pgbench.sql`,
      ],
      database.url,
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`pgbench failed (exit ${run.status}):\n${run.stderr}\n${run.stdout}`);
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(run.stdout)?.[1] ?? NaN);
  const lifecycles = Number(/number of transactions actually processed: (\d+)/.exec(run.stdout)?.[1] ?? NaN);
  if (!Number.isFinite(tps) || !Number.isFinite(lifecycles))
    throw new Error(`could not read pgbench's output:\n${run.stdout}`);
  return { tps, lifecycles };
}

/** the lifecycle's functions as the pgbench script calls them (the history's writers run inside them) */
const LIFECYCLE_FUNCTIONS = [
  'tether_receive_call',
  'tether_call_row',
  'tether_routing_snapshot',
  'tether_commit_offers',
  'tether_recent_contacts',
  'tether_accept_offer',
  'tether_cancel_job',
  'tether_complete_contact',
];
const HISTORY_WRITERS = ['tether_contact_events_contacts', 'tether_contact_events_offers'];

interface Attribution {
  lifecycles: number;
  /** per lifecycle: calls and time (ms) of each function */
  functions: { name: string; callsPerLifecycle: number; msPerLifecycle: number }[];
  /** per lifecycle: the history's inserts written by the lifecycle functions themselves (pg_stat_statements) */
  directInserts: { callsPerLifecycle: number; msPerLifecycle: number } | null;
  /** the history's time (its triggers, and the functions' own inserts) per lifecycle */
  historyMsPerLifecycle: number;
  /** that as a share of the lifecycle functions' time, with and without the routing snapshot (mostly a lock wait) */
  historyPercentOfLifecycle: number;
  historyPercentOfLifecycleWithoutSnapshot: number;
}

/**
 * Where the database's time goes, measured inside one more pgbench run with the history on, `track_functions` and
 * (when the server has it) `pg_stat_statements.track = all` set (so not in the timed rounds): each function's calls
 * and total time per lifecycle, the time of the history's inserts the lifecycle functions make themselves
 * (tether_receive_call, tether_accept_offer, tether_complete_contact: the statements without a trigger's NEW), and
 * the history's share of the lifecycle functions' time (they run inside them). A same-run attribution rather than a
 * difference of two noisy rates; it leaves out what neither counter sees (a trigger's queueing, a set_config).
 */
async function attributeTime(database: BenchDatabase): Promise<Attribution> {
  await setTriggers(database, true);
  const statements = await database
    .query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
    .then(() => true)
    .catch(() => false);
  await database.query(`ALTER DATABASE ${database.name} SET track_functions = 'all'`);
  if (statements)
    await database.query(`ALTER DATABASE ${database.name} SET pg_stat_statements.track = 'all'`);
  try {
    await database.query('SELECT pg_stat_reset()');
    if (statements) await database.query('SELECT pg_stat_statements_reset()');
    const run = pgbench(database);
    // the clients flush their counters when they exit; the statistics collector needs a moment on some versions
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const rows = await database.query<{ name: string; calls: string; total: number }>(
      `SELECT funcname AS name, sum(calls) AS calls, sum(total_time) AS total FROM pg_stat_user_functions
        WHERE funcname = ANY($1) GROUP BY funcname`,
      [[...LIFECYCLE_FUNCTIONS, ...HISTORY_WRITERS]],
    );
    const functions = rows
      .map((r) => ({
        name: r.name,
        callsPerLifecycle: round(Number(r.calls) / run.lifecycles, 2),
        msPerLifecycle: round(Number(r.total) / run.lifecycles, 4),
      }))
      .sort((a, b) => b.msPerLifecycle - a.msPerLifecycle);
    let directInserts: Attribution['directInserts'] = null;
    if (statements) {
      const [direct] = await database.query<{ calls: string | null; total: number | null }>(
        `SELECT sum(calls) AS calls, sum(total_exec_time) AS total FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND query ILIKE 'INSERT INTO contact_events%' AND query NOT LIKE '%NEW.%'`,
      );
      directInserts = {
        callsPerLifecycle: round(Number(direct?.calls ?? 0) / run.lifecycles, 2),
        msPerLifecycle: round(Number(direct?.total ?? 0) / run.lifecycles, 4),
      };
    }
    const sum = (names: string[]) =>
      functions.filter((f) => names.includes(f.name)).reduce((total, f) => total + f.msPerLifecycle, 0);
    const history = sum(HISTORY_WRITERS) + (directInserts?.msPerLifecycle ?? 0);
    const lifecycle = sum(LIFECYCLE_FUNCTIONS);
    const snapshot = sum(['tether_routing_snapshot']);
    const attribution: Attribution = {
      lifecycles: run.lifecycles,
      functions,
      directInserts,
      historyMsPerLifecycle: round(history, 4),
      historyPercentOfLifecycle: round((history / lifecycle) * 100, 2),
      historyPercentOfLifecycleWithoutSnapshot: round((history / (lifecycle - snapshot)) * 100, 2),
    };
    printTable([
      ['function', 'calls per lifecycle', 'ms per lifecycle'],
      ...functions.map((f) => [f.name, fmt(f.callsPerLifecycle, 2), fmt(f.msPerLifecycle, 3)]),
      ...(directInserts
        ? [
            [
              "(the functions' own INSERT INTO contact_events)",
              fmt(directInserts.callsPerLifecycle, 2),
              fmt(directInserts.msPerLifecycle, 3),
            ],
          ]
        : []),
    ]);
    console.log(
      `the history: ${fmt(history, 3)} ms of the lifecycle functions' ${fmt(lifecycle, 3)} ms per lifecycle ` +
        `(${fmt(attribution.historyPercentOfLifecycle, 2)}%; ${fmt(attribution.historyPercentOfLifecycleWithoutSnapshot, 2)}% ` +
        `of the ${fmt(lifecycle - snapshot, 3)} ms outside the routing snapshot, which is mostly a wait for the line's lock), ` +
        `one run of ${fmt(run.lifecycles, 0)} lifecycles with track_functions` +
        (directInserts
          ? ' and pg_stat_statements'
          : " (no pg_stat_statements: the functions' own inserts are not counted)"),
    );
    return attribution;
  } finally {
    await database.query(`ALTER DATABASE ${database.name} RESET track_functions`);
    if (statements) await database.query(`ALTER DATABASE ${database.name} RESET pg_stat_statements.track`);
  }
}

async function setTriggers(database: BenchDatabase, enabled: boolean): Promise<void> {
  await setEventHistory((text) => database.query(text), enabled);
}

async function main(): Promise<void> {
  if (WHOLE) {
    const wholeLifecycle = await historyCostOnWholeLifecycle({
      rounds: args.number('history-rounds', 6),
      rate: args.number('history-rate', 100),
      agents: args.number('history-agents', 200),
      stepSeconds: args.number('step-seconds', 8),
      drainSeconds: args.number('drain-seconds', 15),
      warmupSeconds: args.number('history-warmup-seconds', 5),
      rampRates: args.numbers('history-ramp-rates', []),
      idleSeconds: args.number('history-idle-seconds', 5),
    });
    writeJson(args.string('json'), { wholeLifecycle, loadAverageAtEnd: loadAverage() });
    return;
  }
  const reportsDb = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_reports');
  let timed: Timed[] = [];
  let live: Timed[] = [];
  let folded: Folded | undefined;
  let events = 0;
  try {
    await reportsDb.migrate();
    header(`reports: seeding ${fmt(CONTACTS, 0)} contacts' events (load average ${loadAverage()})`);
    const seeding = Date.now();
    events = await seedEvents(reportsDb);
    console.log(`${fmt(events, 0)} events in ${fmt((Date.now() - seeding) / 1000)} s`);
    // connections as Tether's pool makes them (TETHER_DB_PREPARED_STATEMENTS=false: unnamed statements)
    const pool = new Pool({
      connectionString: reportsDb.url,
      max: 1,
      Client: TetherPgClient,
      prepareMarked: preparedStatementsFromEnv(),
      pipeline: pipelineFromEnv(),
    } as ConstructorParameters<typeof Pool>[0]);
    try {
      if (LIVE) {
        header('reports with no rollup (every event folded at each report), once each');
        live = await timeReports(pool, 1);
        printTable([
          ['report', 'range', 'rows', 'ms'],
          ...live.map((t) => [t.report, t.range, String(t.rows), fmt(t.medianMs)]),
        ]);
      }
      header('the rollup: folding the backlog (what reports.rollup does once, then a quarter at a time)');
      folded = await fold(pool);
      console.log(
        `${fmt(folded.contacts, 0)} contacts folded in ${folded.steps} steps, ${fmt(folded.seconds)} s; watermark ${folded.foldedUntil}`,
      );
      await pool.query('VACUUM ANALYZE contact_outcomes');
      header(`reports over the rollup and the live tail, ${REPORT_RUNS} runs each`);
      timed = await timeReports(pool);
    } finally {
      await pool.end();
    }
    printTable([
      ['report', 'range', 'rows', 'median ms', 'slowest ms', ...(LIVE ? ['live ms'] : [])],
      ...timed.map((t, i) => [
        t.report,
        t.range,
        String(t.rows),
        fmt(t.medianMs),
        fmt(t.slowestMs),
        ...(LIVE ? [fmt(live[i]?.medianMs)] : []),
      ]),
    ]);
  } finally {
    if (!KEEP) await reportsDb.drop().catch(() => undefined);
  }

  const on: number[] = [];
  const off: number[] = [];
  const paired: number[] = [];
  const cpuOn: number[] = [];
  const cpuOff: number[] = [];
  const cpuPaired: number[] = [];
  let attribution: Attribution | undefined;
  const version = spawnSync('pgbench', ['--version'], { encoding: 'utf8' });
  if (PG_ROUNDS <= 0) console.log('--pg-rounds 0: the cost of writing the events is not measured');
  else if (version.status !== 0)
    console.log('pgbench is not installed: the cost of writing the events is not measured');
  else {
    const lifecycleDb = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_reports_pgbench');
    try {
      await lifecycleDb.migrate();
      await seedAgents(lifecycleDb);
      header(
        `the events' cost: pgbench lifecycles, triggers on and off, ${PG_ROUNDS} × ${PG_SECONDS} s each`,
      );
      // the server's CPU (every PostgreSQL process, with the backends it reaped) per lifecycle: less moved by the
      // neighbours' load than lifecycles/s
      const server = await lifecycleDb.serverProcesses();
      const serverTicks = () => server().reduce((sum, pid) => sum + (processTicks(pid) ?? 0), 0);
      for (let r = 0; r < PG_ROUNDS; r++) {
        const tps: Record<'on' | 'off', number> = { on: NaN, off: NaN };
        const cpu: Record<'on' | 'off', number> = { on: NaN, off: NaN };
        for (const enabled of r % 2 === 0 ? [true, false] : [false, true]) {
          await setTriggers(lifecycleDb, enabled);
          const ticks = serverTicks();
          const run = pgbench(lifecycleDb);
          tps[enabled ? 'on' : 'off'] = run.tps;
          // ticks are 10 ms
          cpu[enabled ? 'on' : 'off'] = ((serverTicks() - ticks) * 10) / run.lifecycles;
        }
        on.push(round(tps.on, 1));
        off.push(round(tps.off, 1));
        paired.push(round((1 - tps.on / tps.off) * 100, 1));
        cpuOn.push(round(cpu.on, 3));
        cpuOff.push(round(cpu.off, 3));
        cpuPaired.push(round((cpu.on / cpu.off - 1) * 100, 1));
        console.log(
          `round ${r + 1}: triggers on ${fmt(tps.on)}, off ${fmt(tps.off)} lifecycles/s: ${fmt(paired.at(-1))}% fewer; ` +
            `server CPU ${fmt(cpu.on, 2)} vs ${fmt(cpu.off, 2)} ms per lifecycle: ${fmt(cpuPaired.at(-1))}% more ` +
            `(load ${loadAverage()})`,
        );
      }
      attribution = await attributeTime(lifecycleDb);
      const cost = 1 - median(on) / median(off);
      console.log(
        `median ${fmt(median(on))} lifecycles/s with the history (${fmt(Math.min(...on))}-${fmt(Math.max(...on))}), ` +
          `${fmt(median(off))} without (${fmt(Math.min(...off))}-${fmt(Math.max(...off))}): ${fmt(cost * 100)}% fewer; ` +
          `per round: median ${fmt(median(paired))}%, from ${fmt(Math.min(...paired))}% to ${fmt(Math.max(...paired))}%`,
      );
      console.log(
        `server CPU per lifecycle: median ${fmt(median(cpuOn), 2)} ms with the history, ${fmt(median(cpuOff), 2)} without; ` +
          `per round: median ${fmt(median(cpuPaired))}% more, from ${fmt(Math.min(...cpuPaired))}% to ${fmt(Math.max(...cpuPaired))}%`,
      );
    } finally {
      await lifecycleDb.drop().catch(() => undefined);
    }
  }
  writeJson(args.string('json'), {
    contacts: CONTACTS,
    events,
    loadAverageAtEnd: loadAverage(),
    rollup: folded,
    reports: timed,
    reportsWithoutRollup: live,
    lifecyclesPerSecond: { withEvents: on, withoutEvents: off },
    eventsCostPercent: on.length > 0 ? round((1 - median(on) / median(off)) * 100, 1) : null,
    eventsCostPercentPerRound: paired,
    eventsCostPercentPerRoundMedian: paired.length > 0 ? median(paired) : null,
    attribution,
    serverCpuMsPerLifecycle: { withEvents: cpuOn, withoutEvents: cpuOff },
    serverCpuCostPercentPerRound: cpuPaired,
    serverCpuCostPercentPerRoundMedian: cpuPaired.length > 0 ? median(cpuPaired) : null,
  });
}

runBench(main);
