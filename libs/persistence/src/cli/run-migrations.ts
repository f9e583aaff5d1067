import { loadConfigOrExit } from '@tether/config';
import { createDataSource } from '../data-source.factory';
import { describeMigrationRun, runMigrations } from '../run-migrations';

/**
 * `npm run migration:run`: apply pending migrations, then the changed SQL sources (libs/<lib>/sql, copied into dist
 * by the build), to DATABASE_URL and exit (for deploy pipelines).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.databaseUrl) {
    process.stderr.write('DATABASE_URL is required for migration:run\n');
    process.exit(78);
  }
  const dataSource = await createDataSource(config.databaseUrl, 2, 'tether-migrate').initialize();
  const applied = describeMigrationRun(await runMigrations(dataSource));
  process.stdout.write(`${applied ?? 'nothing to apply'}\n`);
  await dataSource.destroy();
}

void main();
