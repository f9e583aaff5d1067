import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppProcess,
  TEST_ADMIN_TOKEN,
  TEST_WEBHOOK_SECRET,
  type TestDatabase,
  createTestDatabase,
  freePort,
  queryDatabase,
} from '@tether/testing';

/** Configuration fails fast and names every bad variable; concurrent starts migrate exactly once. */
describe('configuration and start-up', () => {
  const started: AppProcess[] = [];
  let database: TestDatabase | undefined;

  afterAll(async () => {
    await Promise.all(started.map((app) => app.stop()));
    await database?.drop();
  });

  it('an app with bad configuration exits non-zero, naming every bad variable', async () => {
    const app = AppProcess.spawn({
      label: 'admin (bad config)',
      script: 'dist/apps/admin/src/main.js',
      env: { PORT: 'abc', DATABASE_URL: 'mysql://x', NODE_ENV: 'test' },
    });
    started.push(app);
    const timeout = setTimeout(() => void app.stop(0), 15_000);
    const { code } = await app.exited;
    clearTimeout(timeout);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull(); // it exited by itself, not by our kill
    expect(app.stderr()).toMatch(/PORT/);
    expect(app.stderr()).toMatch(/DATABASE_URL/);
    expect(app.stderr().match(/^\s*- PORT\b/m)).not.toBeNull();
  });

  it('two admins started at once on one fresh database both serve, and each migration is applied once', async () => {
    database = await createTestDatabase();
    const url = database.url;
    const ports = [await freePort(), await freePort()];
    const admins = await Promise.all(
      ports.map((port, i) =>
        AppProcess.start({
          label: `admin#${i + 1}`,
          script: 'dist/apps/admin/src/main.js',
          env: {
            NODE_ENV: 'test',
            LOG_LEVEL: 'warn',
            HOST: '127.0.0.1',
            PORT: String(port),
            DATABASE_URL: url,
            TETHER_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
            TETHER_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
          },
          healthUrls: [`http://127.0.0.1:${port}/health`],
        }),
      ),
    );
    started.push(...admins);
    for (const port of ports) expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    const migrationFiles = readdirSync(join(__dirname, '..', 'libs', 'persistence', 'src', 'migrations'))
      .filter((file) => /^\d{13}-.+\.ts$/.test(file))
      .map((file) => Number(file.slice(0, 13)))
      .sort();
    expect(migrationFiles.length).toBeGreaterThan(0);
    const rows = await queryDatabase<{ timestamp: string; name: string }>(
      url,
      'SELECT timestamp::text AS timestamp, name FROM schema_migrations ORDER BY timestamp',
    );
    expect(rows.map((row) => Number(row.timestamp))).toEqual(migrationFiles);
    expect(new Set(rows.map((row) => row.name)).size).toBe(rows.length);

    // and both really work against it
    for (const port of ports) {
      const response = await fetch(`http://127.0.0.1:${port}/v1/agents`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      expect(response.status).toBe(200);
    }
  });
});
