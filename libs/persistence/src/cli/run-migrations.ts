import { loadConfigOrExit } from '@tether/config';
import { createDataSource } from '../data-source.factory';
import { runMigrations } from '../run-migrations';

/** `npm run migration:run`: apply pending migrations to DATABASE_URL and exit (for deploy pipelines). */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.databaseUrl) {
    process.stderr.write('DATABASE_URL is required for migration:run\n');
    process.exit(78);
  }
  const dataSource = await createDataSource(config.databaseUrl, 2, 'tether-migrate').initialize();
  const applied = await runMigrations(dataSource);
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'nothing to apply\n');
  await dataSource.destroy();
}

void main();
