import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  describe('secrets in production', () => {
    /** what `openssl rand -hex 32` gives: long, random, distinct */
    const STRONG = {
      TETHER_ADMIN_TOKEN: 'a3f91c7e5b2d8f4a6c0e9b1d7f3a5c8e2b4d6f0a9c1e7b3d',
      TETHER_WEBHOOK_SECRET: '7c2e9a4f1b8d5e3a0c6f9b2d4e7a1c5f8b3d0e6a2c9f4b7d',
      TETHER_JWT_SECRET: 'e5b8d1f4a7c0e3b6d9f2a5c8e1b4d7f0a3c6e9b2d5f8a1c4',
    };
    const SECRETS = Object.keys(STRONG);

    async function exitOf(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
      const app = AppProcess.spawn({
        label: 'admin (production secrets)',
        script: 'dist/apps/admin/src/main.js',
        // nothing listens there: the configuration must be refused before any connection is tried
        env: {
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          ...env,
        },
      });
      started.push(app);
      const timeout = setTimeout(() => void app.stop(0), 15_000);
      const { code } = await app.exited;
      clearTimeout(timeout);
      return { code, stderr: app.stderr() };
    }

    it('refuses to start without them, exiting 78 and naming each missing one', async () => {
      const { code, stderr } = await exitOf({});
      expect(code).toBe(78);
      for (const name of SECRETS)
        expect(stderr).toMatch(new RegExp(`^\\s*- ${name}: required when NODE_ENV=production`, 'm'));
      // one missing is named alone
      for (const name of SECRETS) {
        const one = await exitOf({ ...STRONG, [name]: '' });
        expect(one.code).toBe(78);
        expect(one.stderr.match(/^\s*- \w+:/gm)).toEqual([expect.stringContaining(name)]);
      }
    });

    it('refuses placeholder values (docker/.env.example’s), naming each, never printing them', async () => {
      const placeholders = {
        TETHER_ADMIN_TOKEN: 'change-me-admin-token-0000000000',
        TETHER_WEBHOOK_SECRET: 'change-me-webhook-secret-000000',
        TETHER_JWT_SECRET: 'change-me-jwt-secret-00000000000000000000',
      };
      const { code, stderr } = await exitOf(placeholders);
      expect(code).toBe(78);
      for (const name of SECRETS) expect(stderr).toMatch(new RegExp(`^\\s*- ${name}: `, 'm'));
      for (const value of Object.values(placeholders)) expect(stderr).not.toContain(value);
    });

    it('starts with strong secrets (the control)', async () => {
      database ??= await createTestDatabase();
      const port = await freePort();
      const app = await AppProcess.start({
        label: 'admin (production)',
        script: 'dist/apps/admin/src/main.js',
        env: {
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATABASE_URL: database.url,
          ...STRONG,
        },
        healthUrls: [`http://127.0.0.1:${port}/health`],
      });
      started.push(app);
      const response = await fetch(`http://127.0.0.1:${port}/v1/agents`, {
        headers: { authorization: `Bearer ${STRONG.TETHER_ADMIN_TOKEN}` },
      });
      expect(response.status).toBe(200);
    });
  });

  describe('generated secrets (development)', () => {
    let dataDir: string;
    afterAll(() => dataDir && rmSync(dataDir, { recursive: true, force: true }));

    it('without a terminal, the generated admin token goes to a file only its owner reads, the log says where and never what; npm run secrets prints the webhook secret', async () => {
      const own = await createTestDatabase();
      try {
        dataDir = mkdtempSync(join(tmpdir(), 'tether-secrets-'));
        const port = await freePort();
        const env = {
          LOG_LEVEL: 'info',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATABASE_URL: own.url,
          TETHER_DATA_DIR: dataDir,
        };
        const app = await AppProcess.start({
          label: 'admin (generated secrets)',
          script: 'dist/apps/admin/src/main.js',
          env,
          healthUrls: [`http://127.0.0.1:${port}/health`],
        });
        started.push(app);

        const file = join(dataDir, 'admin-token');
        expect(statSync(file).mode & 0o777).toBe(0o600);
        const token = readFileSync(file, 'utf8').trim();
        expect(token.length).toBeGreaterThanOrEqual(32);
        const agents = (bearer: string) =>
          fetch(`http://127.0.0.1:${port}/v1/agents`, { headers: { authorization: `Bearer ${bearer}` } });
        expect((await agents(token)).status).toBe(200);
        expect((await agents(`${token}x`)).status).toBe(401);
        expect(app.logs()).toContain(file);
        expect(app.logs()).not.toContain(token);

        const [{ value: webhookSecret }] = await queryDatabase<{ value: string }>(
          own.url,
          `SELECT value FROM settings WHERE key = 'webhook_secret'`,
        );
        const secrets = AppProcess.spawn({
          label: 'npm run secrets',
          script: 'dist/libs/auth/src/cli/print-secrets.js',
          env,
        });
        started.push(secrets);
        expect((await secrets.exited).code).toBe(0);
        expect(secrets.stdout()).toContain(webhookSecret);
        expect(secrets.stdout()).toContain(file);
        expect(secrets.stdout()).not.toContain(token);

        const only = AppProcess.spawn({
          label: 'npm run secrets -- --webhook-secret',
          script: 'dist/libs/auth/src/cli/print-secrets.js',
          args: ['--webhook-secret'],
          env,
        });
        started.push(only);
        expect((await only.exited).code).toBe(0);
        expect(only.stdout()).toBe(`${webhookSecret}\n`);
        await app.stop();
      } finally {
        await own.drop();
      }
    });
  });
});
