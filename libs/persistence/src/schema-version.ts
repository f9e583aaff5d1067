import type { DataSource } from 'typeorm';
import { readSqlSources, SQL_SOURCES_ROOT } from './sql-sources';

/** How far the database's schema is behind the one this build ships; `undefined` from `schemaLag` when it is not. */
export interface SchemaLag {
  /** migrations of this build the database has not applied, in order */
  missingMigrations: string[];
  /** SQL sources of this build whose checksum the database has not recorded */
  staleSources: string[];
  /** why the schema could not be read at all (no tables yet, or no privilege on them yet) */
  unreadable?: string;
}

const UNDEFINED_TABLE = '42P01';
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Compares the database with this build: every migration applied (`schema_migrations`), every SQL source recorded
 * with this build's checksum (`sql_sources`). A database **ahead** of the build (a migration this build does not
 * know: a newer release migrated it) counts as current as long as this build's migrations are all there; its
 * functions are then the newer release's, so their checksums are not compared. Reads only; any role that may
 * SELECT the two tables can ask.
 */
export async function schemaLag(
  dataSource: DataSource,
  sqlRoot: string = SQL_SOURCES_ROOT,
): Promise<SchemaLag | undefined> {
  const expected = dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name);
  let applied: Set<string>;
  let recorded: Map<string, string>;
  try {
    const migrated = await dataSource.query<{ name: string }[]>('SELECT name FROM schema_migrations');
    applied = new Set(migrated.map((row) => row.name));
    const sources = await dataSource.query<{ path: string; checksum: string }[]>(
      'SELECT path, checksum FROM sql_sources',
    );
    recorded = new Map(sources.map((row) => [row.path, row.checksum]));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === UNDEFINED_TABLE)
      return { missingMigrations: expected, staleSources: [], unreadable: 'no schema yet' };
    if (code === INSUFFICIENT_PRIVILEGE)
      return {
        missingMigrations: expected,
        staleSources: [],
        unreadable:
          'no privilege on the schema yet (the runtime role is granted at the end of a migration run)',
      };
    throw error;
  }
  const missingMigrations = expected.filter((name) => !applied.has(name));
  const known = new Set(expected);
  const ahead = [...applied].some((name) => !known.has(name));
  const staleSources = ahead
    ? []
    : readSqlSources(sqlRoot)
        .filter((source) => recorded.get(source.path) !== source.checksum)
        .map((source) => source.path);
  if (missingMigrations.length === 0 && staleSources.length === 0) return undefined;
  return { missingMigrations, staleSources };
}

/** One line for people: what is missing. */
export function describeSchemaLag(lag: SchemaLag): string {
  if (lag.unreadable) return lag.unreadable;
  const parts: string[] = [];
  if (lag.missingMigrations.length > 0)
    parts.push(
      `${lag.missingMigrations.length} migration(s) not applied (first: ${lag.missingMigrations[0]})`,
    );
  if (lag.staleSources.length > 0)
    parts.push(
      `${lag.staleSources.length} SQL source(s) not at this build's version (${lag.staleSources.slice(0, 3).join(', ')}${lag.staleSources.length > 3 ? ', ...' : ''})`,
    );
  return parts.join('; ');
}

/** The wait for the schema ran out: not retried (`PersistenceModule`), the process exits saying why. */
export class SchemaNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaNotReadyError';
  }
}

export interface WaitForSchemaOptions {
  timeoutMs: number;
  intervalMs?: number;
  sqlRoot?: string;
  /** told when the wait starts and whenever what is missing changes */
  log: (line: string) => void;
}

/**
 * For a process that must not migrate (in production: the line apps and the gateway, which face the internet):
 * polls until the schema is at this build's version (`schemaLag`), saying what it waits for; after `timeoutMs`
 * rejects with a message saying what is missing and who migrates. Runs no DDL, takes no migration lock.
 */
export async function waitForSchema(dataSource: DataSource, options: WaitForSchemaOptions): Promise<void> {
  const intervalMs = options.intervalMs ?? 1_000;
  const deadline = Date.now() + options.timeoutMs;
  let told: string | undefined;
  for (;;) {
    const lag = await schemaLag(dataSource, options.sqlRoot);
    if (!lag) {
      if (told !== undefined) options.log('the schema is at this version: starting');
      return;
    }
    const missing = describeSchemaLag(lag);
    if (missing !== told) {
      options.log(
        `waiting for the schema (this process does not migrate in production; the admin app or npm run migration:run does): ${missing}`,
      );
      told = missing;
    }
    const left = deadline - Date.now();
    if (left <= 0)
      throw new SchemaNotReadyError(
        `the database schema is not at this build's version after ${Math.round(options.timeoutMs / 1000)} s ` +
          `(${missing}). In production only the admin app (or npm run migration:run, with DATABASE_MIGRATION_URL ` +
          `set to the schema owner) migrates: start it first, or raise TETHER_SCHEMA_WAIT_SECONDS`,
      );
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}
