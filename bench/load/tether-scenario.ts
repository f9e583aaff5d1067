import { serverDatabaseUrl, sleep } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { rssBytes } from '../common/proc-stats';
import { round } from '../common/stats';
import {
  BENCH_SECRETS,
  createAgents,
  lineRules,
  startStandalone,
  Standalone,
} from '../common/tether-processes';
import { AgentFleet } from './agent-fleet';
import { CallLedger } from './call-ledger';
import { LoadRun } from './load-run';

/**
 * The ledger the agents and the callback receiver report into: the running scenario's (a part may run several
 * scenarios one after the other with one CallbackReceiver).
 */
export interface CurrentLedger {
  ledger: CallLedger;
}

/** One Tether process (apps/standalone) on a fresh database, with connected, available agents and a LoadRun. */
export interface Scenario {
  system: Standalone;
  database: BenchDatabase;
  fleet: AgentFleet;
  run: LoadRun;
  idleRssMb: number;
}

export async function startScenario(options: {
  name: string;
  agents: number;
  callbackUrl: string;
  dataDir: string;
  current: CurrentLedger;
  nodeArgs?: string[];
}): Promise<Scenario> {
  const { name, agents, current } = options;
  const started = performance.now();
  const database = await BenchDatabase.create(serverDatabaseUrl(), name);
  const system = await startStandalone({
    databaseUrl: database.url,
    callbackUrl: options.callbackUrl,
    dataDir: options.dataDir,
    nodeArgs: options.nodeArgs ?? [],
  });
  const credentials = await createAgents(system.adminUrl, agents);
  const { offerTimeoutSeconds } = await lineRules(system.adminUrl, 'sales');
  const fleet = new AgentFleet(
    system.gatewayUrl,
    credentials,
    () => current.ledger,
    5,
    offerTimeoutSeconds * 1000,
  );
  await fleet.connect();
  await fleet.goAvailable();
  await sleep(1_000);
  const target = {
    name: `tether, ${agents} agents`,
    lineUrl: system.salesUrl,
    pid: system.process.pid,
    postgresPids: await database.serverProcesses(),
    secret: BENCH_SECRETS.webhookSecret,
  };
  const run = new LoadRun(target, name, fleet, offerTimeoutSeconds * 1000);
  current.ledger = run.ledger;
  const idleRssMb = Math.round((rssBytes(system.process.pid) ?? 0) / 1048576);
  console.log(
    `tether up with ${agents} connected, available agents in ${((performance.now() - started) / 1000).toFixed(1)} s (RSS ${idleRssMb} MB)`,
  );
  return { system, database, fleet, run, idleRssMb };
}

export async function stopScenario(scenario: Scenario): Promise<void> {
  scenario.fleet.close();
  scenario.run.close();
  await scenario.system.process.stop();
  await scenario.database.drop().catch(() => undefined);
}

export interface TableSize {
  table: string;
  liveRows: number;
  deadRows: number;
  sizeMb: number;
}

/** Rows and on-disk size (with indexes and TOAST) of the named tables, or of the 8 largest when none are named. */
export async function tableSizes(database: BenchDatabase, tables?: readonly string[]): Promise<TableSize[]> {
  const rows = await database.query<{ relname: string; live: string; dead: string; bytes: string }>(
    `SELECT relname, n_live_tup AS live, n_dead_tup AS dead, pg_total_relation_size(relid) AS bytes
     FROM pg_stat_user_tables WHERE $1::text[] IS NULL OR relname = ANY($1::text[])
     ORDER BY pg_total_relation_size(relid) DESC LIMIT $2`,
    [tables ?? null, tables?.length ?? 8],
  );
  return rows.map((r) => ({
    table: r.relname,
    liveRows: Number(r.live),
    deadRows: Number(r.dead),
    sizeMb: round(Number(r.bytes) / 1048576, 1),
  }));
}
