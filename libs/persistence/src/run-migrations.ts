import { DataSource } from 'typeorm';
import { applySqlSources, SQL_SOURCES_ROOT } from './sql-sources';

/** An arbitrary constant: every Tether process agrees on it, so only one runs migrations at a time. */
export const MIGRATION_LOCK_KEY = 7_246_318_001;

/** What one run applied: migration names, then SQL sources by path (`contacts/receive_call.sql`). */
export interface MigrationRun {
  migrations: string[];
  sqlSources: string[];
  /** the runtime role the run granted the apps' privileges to (`tether_grant_runtime_role`), if one was given */
  grantedTo?: string;
}

export interface MigrationOptions {
  /** where the libs' `sql/` folders are; tests point it at a copy */
  sqlRoot?: string;
  /**
   * The role the apps' pool connects as, when it is not the one migrating: after the migrations and SQL sources,
   * under the same lock, every run grants it the apps' privileges (libs/persistence/sql/grant_runtime_role.sql),
   * so a table a migration creates is usable by the apps from the moment the run ends. Unset: no grants (one role
   * owns and uses the schema, as in development).
   */
  runtimeRole?: string;
}

/**
 * Runs pending migrations, then the SQL sources whose checksum changed (`applySqlSources`), then the runtime role's
 * grants when one is given, under one session-level advisory lock, so several instances starting at the same moment
 * against one database apply each migration and each changed function exactly once; the others wait, then find
 * nothing to do.
 */
export async function runMigrations(
  dataSource: DataSource,
  options: MigrationOptions = {},
): Promise<MigrationRun> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      const sqlSources = await applySqlSources(runner, options.sqlRoot ?? SQL_SOURCES_ROOT);
      const run: MigrationRun = { migrations: applied.map((m) => m.name), sqlSources };
      if (options.runtimeRole) {
        await runner.query('SELECT tether_grant_runtime_role($1)', [options.runtimeRole]);
        run.grantedTo = options.runtimeRole;
      }
      return run;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** One line for the logs, or undefined when nothing was applied (and no role granted). */
export function describeMigrationRun(run: MigrationRun): string | undefined {
  const parts = [
    run.migrations.length > 0 ? `applied migrations: ${run.migrations.join(', ')}` : '',
    run.sqlSources.length > 0 ? `applied SQL sources: ${run.sqlSources.join(', ')}` : '',
    run.grantedTo ? `granted the apps' privileges to ${run.grantedTo}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : undefined;
}
