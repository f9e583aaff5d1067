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
 * --pg-seconds 12.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchArgs, header, REPO_ROOT, serverDatabaseUrl, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { CpuMeter, MachineCpuMeter } from '../common/proc-stats';
import { fmt, printTable, round } from '../common/stats';

const args = new BenchArgs();
const CLIENTS = args.number('pg-clients', 8);
const SECONDS = args.number('pg-seconds', 12);
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
  header(`pgbench, ${name}: ${CLIENTS} clients, ${SECONDS} s, -M extended`);
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
        'extended',
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

async function main(): Promise<void> {
  const version = spawnSync('pgbench', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0)
    throw new Error('pgbench is not installed (Debian: apt-get install postgresql-client)');
  const database = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_pgbench');
  const work = mkdtempSync(join(tmpdir(), 'tether-pgbench-'));
  try {
    await database.migrate();
    await seed(database);
    const script = join(work, 'lifecycle.pgbench.sql');
    copyFileSync(SCRIPT, script);
    console.log(version.stdout.trim());
    const asWritten = await runVariant(database, script, true);
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
      protocol: 'extended',
      variants: [asWritten, coalesced],
      pgbench: version.stdout.trim(),
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
    await database.drop().catch(() => undefined);
  }
}

runBench(main);
