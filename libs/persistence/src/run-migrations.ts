import { DataSource } from 'typeorm';

/** An arbitrary constant: every Tether process agrees on it, so only one runs migrations at a time. */
const MIGRATION_LOCK_KEY = 7_246_318_001;

/**
 * Runs pending migrations under a session-level advisory lock so several instances starting at the same moment
 * against one database apply each migration exactly once; the others wait, then find nothing to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
