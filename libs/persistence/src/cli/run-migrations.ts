import { loadConfigOrExit } from '@tether/config';
import { createDataSource } from '../data-source.factory';
import { describeMigrationRun, runMigrations } from '../run-migrations';
import { runtimeRoleOf } from '../runtime-role';

/**
 * `npm run migration:run`: apply pending migrations, then the changed SQL sources (libs/<lib>/sql, copied into dist
 * by the build), then the runtime role's grants, and exit (for deploy pipelines). Connects with
 * DATABASE_MIGRATION_URL (the schema owner), else DATABASE_URL. The runtime role is TETHER_DB_RUNTIME_ROLE, else
 * DATABASE_URL's user when DATABASE_MIGRATION_URL is set too; neither: no grants (one role).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const url = config.databaseMigrationUrl ?? config.databaseUrl;
  if (!url) {
    process.stderr.write(
      'DATABASE_MIGRATION_URL (the schema owner) or DATABASE_URL is required for migration:run\n',
    );
    process.exit(78);
  }
  const runtimeRole = runtimeRoleOf(config);
  const dataSource = await createDataSource(url, 2, 'tether-migrate').initialize();
  try {
    const applied = describeMigrationRun(await runMigrations(dataSource, { runtimeRole }));
    process.stdout.write(`${applied ?? 'nothing to apply'}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration:run failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
