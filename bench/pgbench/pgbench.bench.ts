/**
 * The DB floor: pgbench running lifecycle.pgbench.sql (the SQL of one contact lifecycle, statement for statement
 * as libs/contacts runs it) against the same PostgreSQL the lifecycle part uses, on a fresh database with Tether's
 * real migrations and 200 seeded agents. pgbench's TPS is then the number of lifecycles per second PostgreSQL can
 * do on this machine with Tether's SQL and a client that costs nothing: Tether's throughput is reported against it.
 *
 * Two runs: with a routing pass per lifecycle (the dispatcher's reads under its advisory lock, as when passes are not
 * coalesced), and without the pass-level reads (perfect coalescing): the two bracket what Tether's SQL allows.
 *
 * Run through `npm run bench -- pgbench`. Options: --pg-clients 8 (8 clients is this machine's best: bench/README.md, the machine's own limits),
 * --pg-seconds 12. `--statements`: also where PostgreSQL's time goes, statement by statement (nested ones too), per
 * lifecycle of the first run (`--statements-top 40` rows).
 *
 * `--history` (`npm run bench -- pgbench-history`, only when named): which of Tether's statements grow with a stored
 * history. A second database gets the history part's fixture (shipped/history-fixture.ts: --history-contacts
 * 1,000,000, --history-customers 200,000, --history-agents 4,800 offline beside the 200 seeded here) and the same
 * pgbench lifecycle (with a routing pass) runs on the empty database and on it, alternately, --history-rounds times
 * (3), with `pg_stat_statements.track = all` on both: lifecycles/s per side, and every statement Tether runs (the
 * functions' nested ones included) by time per lifecycle, history / empty.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchArgs, header, REPO_ROOT, serverDatabaseUrl, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { CpuMeter, MachineCpuMeter } from '../common/proc-stats';
import { fmt, median, printTable, round } from '../common/stats';
import { loadHistory } from '../shipped/history-fixture';

const args = new BenchArgs();
const CLIENTS = args.number('pg-clients', 8);
const SECONDS = args.number('pg-seconds', 12);
/**
 * pgbench's -M: `prepared` (default) names each statement once per connection, as Tether's pool does
 * (TetherPgClient, TETHER_DB_PREPARED_STATEMENTS); `extended` sends each unnamed, parsed and planned on every
 * execution (node-postgres's own way, and Tether's with TETHER_DB_PREPARED_STATEMENTS=false)
 */
const PROTOCOL = args.string('pg-protocol') ?? 'prepared';
const SCRIPT = join(REPO_ROOT, 'bench/pgbench/lifecycle.pgbench.sql');
const AGENTS = 200;

interface StatementLatency {
  ms: number;
  statement: string;
}

async function seed(database: BenchDatabase): Promise<void> {
  await database.query(
    `INSERT INTO agents (id, name, lines, skills, capacity)
     SELECT lpad(to_hex(i), 32, '0')::uuid, 'pgbench agent ' || i, ARRAY['sales'], '{}', '{"voice":1}'
     FROM generate_series(1, ${AGENTS}) i`,
  );
  await database.query(`INSERT INTO agent_presence (agent_id, state) SELECT id, 'available' FROM agents`);
  // a slot that never runs out: the floor measures the statements, not slot contention between random agents
  await database.query(
    `INSERT INTO agent_slots (agent_id, channel, capacity, used) SELECT id, 'voice', 1000000, 0 FROM agents`,
  );
  await database.query(`INSERT INTO instances (id, app) VALUES ('pgbench', 'gateway')`);
  await database.query(
    `INSERT INTO agent_connections (socket_id, agent_id, instance_id) SELECT 'pgbench-' || id, id, 'pgbench' FROM agents`,
  );
  await database.query('VACUUM ANALYZE');
}

function parse(output: string): {
  tps: number;
  latencyAvgMs: number;
  failed: number;
  statements: StatementLatency[];
} {
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1] ?? NaN);
  const latencyAvgMs = Number(/latency average = ([\d.]+) ms/.exec(output)?.[1] ?? NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
  const statements: StatementLatency[] = [];
  const perStatement = output.split(/statement latencies in milliseconds[^\n]*\n/)[1] ?? '';
  for (const line of perStatement.split('\n')) {
    // "  0.123  0  SELECT ..." (latency, failures, statement) on pgbench 15+; "  0.123  SELECT ..." before
    const match = /^\s+([\d.]+)\s+(?:\d+\s+)?(.*)$/.exec(line);
    if (match && !match[2].startsWith('\\'))
      statements.push({ ms: Number(match[1]), statement: match[2].trim() });
  }
  return { tps, latencyAvgMs, failed, statements };
}

interface Variant {
  name: string;
  withPass: boolean;
  tps: number;
  latencyAvgMs: number;
  statementsPerLifecycle: number;
  lifecyclesCompleted: number;
  failed: number;
  cpuPercent: { postgres: number; machine: number };
  slowestStatements: StatementLatency[];
}

async function runVariant(database: BenchDatabase, script: string, withPass: boolean): Promise<Variant> {
  const name = withPass ? 'one routing pass per lifecycle' : 'per-contact statements only (passes coalesced)';
  header(`pgbench, ${name}: ${CLIENTS} clients, ${SECONDS} s, -M ${PROTOCOL}`);
  const [{ count: before }] = await database.query<{ count: string }>(
    `SELECT count(*) AS count FROM contacts WHERE status = 'ended'`,
  );
  const postgresCpu = new CpuMeter(await database.serverProcesses());
  const machineCpu = new MachineCpuMeter();
  postgresCpu.start();
  machineCpu.start();
  const run = spawnSync(
    'pgbench',
    [
      ...[
        '-n',
        '-M',
        PROTOCOL,
        '-c',
        String(CLIENTS),
        '-j',
        String(Math.min(2, CLIENTS)),
        '-T',
        String(SECONDS),
        '-r',
      ],
      ...['-D', `with_pass=${withPass ? 1 : 0}`, '-f', script, database.url],
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const cpuPercent = { postgres: postgresCpu.stop().cpuPercent, machine: machineCpu.stop().cpuPercent };
  if (run.status !== 0) throw new Error(`pgbench failed (exit ${run.status}):\n${run.stderr}\n${run.stdout}`);
  const result = parse(run.stdout);
  if (!Number.isFinite(result.tps)) throw new Error(`could not read pgbench's output:\n${run.stdout}`);
  const [{ count }] = await database.query<{ count: string }>(
    `SELECT count(*) AS count FROM contacts WHERE status = 'ended'`,
  );
  const slowest = [...result.statements].sort((a, b) => b.ms - a.ms).slice(0, 8);
  // pgbench lists every command, also those its \if skipped (with 0.000 ms)
  const statementsPerLifecycle = result.statements.filter(
    (s) => s.ms > 0 && !/^(BEGIN|COMMIT)\b/i.test(s.statement),
  ).length;
  console.log(
    `${fmt(result.tps)} lifecycles/s (${statementsPerLifecycle} statements + BEGIN/COMMITs each, ${fmt(result.latencyAvgMs, 2)} ms per lifecycle ` +
      `per client, ${result.failed} failed); PostgreSQL CPU ${cpuPercent.postgres}%, machine ${cpuPercent.machine}%`,
  );
  printTable([
    ['slowest statements', 'mean ms'],
    ...slowest.map((s) => [s.statement.replace(/\s+/g, ' ').slice(0, 110), fmt(s.ms, 3)]),
  ]);
  return {
    name,
    withPass,
    tps: round(result.tps, 1),
    latencyAvgMs: result.latencyAvgMs,
    statementsPerLifecycle,
    lifecyclesCompleted: Number(count) - Number(before),
    failed: result.failed,
    cpuPercent,
    slowestStatements: slowest,
  };
}

/** One statement's totals (pg_stat_statements), keyed by its normalised text: the same in both databases. */
interface StatementTotals {
  calls: number;
  ms: number;
  /** shared buffers the statement read in (not in PostgreSQL's cache) and dirtied */
  read: number;
  dirtied: number;
  rows: number;
  wal: number;
  /** functions JIT-compiled for it (PostgreSQL compiles a plan whose cost passes jit_above_cost) */
  jit: number;
}

const NO_TOTALS: StatementTotals = { calls: 0, ms: 0, read: 0, dirtied: 0, rows: 0, wal: 0, jit: 0 };

async function statementTotals(database: BenchDatabase): Promise<Map<string, StatementTotals>> {
  const rows = await database.query<{
    query: string;
    calls: string;
    ms: number;
    read: string;
    dirtied: string;
    rows: string;
    wal: string;
    jit: string;
  }>(
    `SELECT query, sum(calls) AS calls, sum(total_exec_time) AS ms, sum(shared_blks_read) AS read,
            sum(shared_blks_dirtied) AS dirtied, sum(rows) AS rows, sum(wal_bytes) AS wal, sum(jit_functions) AS jit FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY query`,
  );
  return new Map(
    rows.map((r) => [
      r.query,
      {
        calls: Number(r.calls),
        ms: Number(r.ms),
        read: Number(r.read),
        dirtied: Number(r.dirtied),
        rows: Number(r.rows),
        wal: Number(r.wal),
        jit: Number(r.jit),
      },
    ]),
  );
}

/**
 * `--statements`: where PostgreSQL's time goes in one lifecycle. Every statement Tether's SQL runs (a function's
 * nested statements too: track = all, so a function's own line includes them) by execution time per lifecycle, with
 * its calls, rows and WAL bytes per lifecycle; the functions' bodies are in libs/<lib>/sql.
 */
function printStatementCosts(
  before: Map<string, StatementTotals>,
  after: Map<string, StatementTotals>,
  lifecycles: number,
): void {
  const rows = [...after]
    .filter(([query]) => !/pg_stat_statements|^VACUUM|pg_database/i.test(query))
    .map(([query, total]) => {
      const was = before.get(query) ?? NO_TOTALS;
      return {
        query,
        calls: (total.calls - was.calls) / lifecycles,
        ms: (total.ms - was.ms) / lifecycles,
        wal: (total.wal - was.wal) / lifecycles,
        rows: (total.rows - was.rows) / lifecycles,
        jit: total.jit - was.jit,
      };
    })
    .filter((row) => row.calls >= 0.01)
    .sort((a, b) => b.ms - a.ms);
  header(
    `where PostgreSQL's time goes, per lifecycle (${lifecycles} lifecycles; track = all: a function's line includes ` +
      `its nested statements, which are listed too)`,
  );
  printTable([
    ['statement', 'calls / lc', 'ms / lc', 'rows / lc', 'WAL bytes / lc', 'JIT-compiled functions'],
    ...rows
      .slice(0, args.number('statements-top', 40))
      .map((row) => [
        row.query.replace(/\s+/g, ' ').slice(0, 110),
        fmt(row.calls, 2),
        fmt(row.ms, 4),
        fmt(row.rows, 2),
        fmt(row.wal, 0),
        fmt(row.jit, 0),
      ]),
  ]);
}

/** A side of the history comparison: its database and what its runs added up to. */
interface HistorySide {
  name: 'empty' | 'history';
  database: BenchDatabase;
  tps: number[];
  lifecycles: number;
  statements: Map<string, StatementTotals>;
}

async function historyMain(version: string, script: string): Promise<void> {
  const size = {
    contacts: args.number('history-contacts', 1_000_000),
    customers: args.number('history-customers', 200_000),
    agents: args.number('history-agents', 4_800),
  };
  const rounds = args.number('history-rounds', 3);
  const sides: HistorySide[] = [];
  try {
    for (const name of ['empty', 'history'] as const) {
      const database = await BenchDatabase.create(
        serverDatabaseUrl(),
        name === 'empty' ? 'tether_bench_pgbench' : 'tether_bench_pgbench_history',
      );
      sides.push({ name, database, tps: [], lifecycles: 0, statements: new Map() });
      await database.migrate();
      await seed(database);
      if (name === 'history') {
        header(
          `history fixture: ${size.contacts} contacts, ${size.customers} customers, ${size.agents} offline agents`,
        );
        const load = await loadHistory(database.url, size);
        console.log(`history fixture loaded in ${load.seconds} s`);
      }
      await database.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await database.query(`ALTER DATABASE ${database.name} SET pg_stat_statements.track = 'all'`);
    }
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        await side.database.query('VACUUM ANALYZE');
        const before = await statementTotals(side.database);
        console.log(`\nround ${round + 1} of ${rounds}: the ${side.name} database`);
        const variant = await runVariant(side.database, script, true);
        const after = await statementTotals(side.database);
        side.tps.push(variant.tps);
        side.lifecycles += variant.lifecyclesCompleted;
        for (const [query, total] of after) {
          const was = before.get(query) ?? NO_TOTALS;
          const sum = side.statements.get(query) ?? NO_TOTALS;
          side.statements.set(query, {
            calls: sum.calls + total.calls - was.calls,
            ms: sum.ms + total.ms - was.ms,
            read: sum.read + total.read - was.read,
            dirtied: sum.dirtied + total.dirtied - was.dirtied,
            rows: sum.rows + total.rows - was.rows,
            wal: sum.wal + total.wal - was.wal,
            jit: sum.jit + total.jit - was.jit,
          });
        }
      }
    }
    const [empty, history] = sides;
    const perLifecycle = (side: HistorySide, query: string) => {
      const total = side.statements.get(query) ?? NO_TOTALS;
      return {
        calls: total.calls / side.lifecycles,
        ms: total.ms / side.lifecycles,
        read: total.read / side.lifecycles,
        dirtied: total.dirtied / side.lifecycles,
      };
    };
    const queries = [...new Set([...empty.statements.keys(), ...history.statements.keys()])]
      .filter((query) => !/pg_stat_statements|^VACUUM|pg_database/i.test(query))
      .map((query) => ({ query, empty: perLifecycle(empty, query), history: perLifecycle(history, query) }))
      .filter((row) => row.history.calls >= 0.01 || row.empty.calls >= 0.01)
      // the statements whose time changed most first, either way (a change can make history the faster side)
      .sort((a, b) => Math.abs(b.history.ms - b.empty.ms) - Math.abs(a.history.ms - a.empty.ms));
    const tps = { empty: round(median(empty.tps), 1), history: round(median(history.tps), 1) };
    header(
      `the lifecycle's statements on ${size.contacts} stored contacts against an empty database ` +
        `(track = all: a function's nested statements are also counted inside the function's own line; ` +
        `ranked by |history − empty|)`,
    );
    printTable([
      [
        'statement',
        'calls / lc',
        'empty ms / lc',
        'history ms / lc',
        'history − empty',
        'ratio',
        'blocks read / lc, empty / history',
        'dirtied / lc, empty / history',
      ],
      ...queries
        .slice(0, 16)
        .map((row) => [
          row.query.replace(/\s+/g, ' ').slice(0, 100),
          fmt(row.history.calls, 2),
          fmt(row.empty.ms, 4),
          fmt(row.history.ms, 4),
          fmt(row.history.ms - row.empty.ms, 4),
          row.empty.ms > 0 ? `${fmt(row.history.ms / row.empty.ms, 2)}×` : '—',
          `${fmt(row.empty.read, 2)} / ${fmt(row.history.read, 2)}`,
          `${fmt(row.empty.dirtied, 2)} / ${fmt(row.history.dirtied, 2)}`,
        ]),
    ]);
    console.log(
      `\nlifecycles/s (median of ${rounds}): empty ${fmt(tps.empty)} (${empty.tps.join(', ')}), ` +
        `history ${fmt(tps.history)} (${history.tps.join(', ')}): history / empty ${fmt(tps.history / tps.empty, 3)}×`,
    );
    writeJson(args.string('json'), {
      history: size,
      rounds,
      clients: CLIENTS,
      seconds: SECONDS,
      tps: { ...tps, ratio: round(tps.history / tps.empty, 3), empty: empty.tps, history: history.tps },
      statements: queries.slice(0, 40).map((row) => ({
        query: row.query.replace(/\s+/g, ' ').slice(0, 300),
        callsPerLifecycle: round(row.history.calls, 3),
        emptyMsPerLifecycle: round(row.empty.ms, 4),
        historyMsPerLifecycle: round(row.history.ms, 4),
        emptyBlocksReadPerLifecycle: round(row.empty.read, 3),
        historyBlocksReadPerLifecycle: round(row.history.read, 3),
        emptyBlocksDirtiedPerLifecycle: round(row.empty.dirtied, 3),
        historyBlocksDirtiedPerLifecycle: round(row.history.dirtied, 3),
      })),
      pgbench: version,
    });
  } finally {
    for (const side of sides) await side.database.drop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const version = spawnSync('pgbench', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0)
    throw new Error('pgbench is not installed (Debian: apt-get install postgresql-client)');
  if (args.flag('history')) {
    const work = mkdtempSync(join(tmpdir(), 'tether-pgbench-'));
    try {
      const script = join(work, 'lifecycle.pgbench.sql');
      copyFileSync(SCRIPT, script);
      await historyMain(version.stdout.trim(), script);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const database = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_pgbench');
  const work = mkdtempSync(join(tmpdir(), 'tether-pgbench-'));
  try {
    await database.migrate();
    await seed(database);
    const script = join(work, 'lifecycle.pgbench.sql');
    copyFileSync(SCRIPT, script);
    console.log(version.stdout.trim());
    const statements = args.flag('statements');
    if (statements) {
      await database.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await database.query(`ALTER DATABASE ${database.name} SET pg_stat_statements.track = 'all'`);
    }
    const before = statements ? await statementTotals(database) : undefined;
    const asWritten = await runVariant(database, script, true);
    if (before) printStatementCosts(before, await statementTotals(database), asWritten.lifecyclesCompleted);
    await database.query('VACUUM ANALYZE');
    const coalesced = await runVariant(database, script, false);
    console.log(
      `\nDB floor: ${fmt(asWritten.tps)} lifecycles/s with a routing pass per lifecycle, ${fmt(coalesced.tps)} lifecycles/s with passes coalesced away`,
    );
    writeJson(args.string('json'), {
      tps: asWritten.tps,
      tpsCoalesced: coalesced.tps,
      clients: CLIENTS,
      seconds: SECONDS,
      protocol: PROTOCOL,
      variants: [asWritten, coalesced],
      pgbench: version.stdout.trim(),
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
    await database.drop().catch(() => undefined);
  }
}

runBench(main);
