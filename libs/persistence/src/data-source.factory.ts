import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { pipelineFromEnv, preparedStatementsFromEnv } from './prepared-statements';
import { TetherPgClient, type TetherPgClientOptions } from './tether-pg-client';

/**
 * PostgreSQL ends a session that sits inside a transaction doing nothing for this long, which rolls the
 * transaction back and frees its locks. Tether's transactions never wait on anything but their own statements,
 * so only a stuck client gets there: an instance partitioned from the database (or paused) in the middle of a
 * routing pass would otherwise keep that line's advisory lock, and every other instance's passes for the line
 * waiting, until TCP keepalive noticed, which is hours. Whatever the stale instance sends after the partition heals
 * finds its session gone and commits nothing.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;

/**
 * `preparedStatements`: the pool's connections prepare the statements marked by `prepared()` by name; false: every
 * statement unnamed, as node-postgres sends it. `pipeline`: node-postgres's pipeline mode, a transaction's BEGIN
 * written with its first statement. Both are TetherPgClient's. Not given: the process's environment
 * (`preparedStatementsFromEnv`, `pipelineFromEnv`), so scripts and benches that make their own DataSource connect as
 * Tether does.
 */
export function dataSourceOptions(
  url: string,
  poolSize = 10,
  applicationName = 'tether',
  {
    preparedStatements = preparedStatementsFromEnv(),
    pipeline = pipelineFromEnv(),
  }: { preparedStatements?: boolean; pipeline?: boolean } = {},
): DataSourceOptions {
  const client: TetherPgClientOptions = { prepareMarked: preparedStatements, pipeline };
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    applicationName,
    extra: {
      max: poolSize,
      // connections once opened stay open (idleTimeoutMillis closes only those above min): the start-up warm-up
      // opens them all (warmPool), and a quiet minute must not make the next burst pay for new connections again
      min: poolSize,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      // node-postgres's pool hands its options to each client it makes: TetherPgClient reads these two
      Client: TetherPgClient,
      ...client,
    },
  };
}

export function createDataSource(
  url: string,
  poolSize = 10,
  applicationName = 'tether',
  options: { preparedStatements?: boolean; pipeline?: boolean } = {},
): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize, applicationName, options));
}
