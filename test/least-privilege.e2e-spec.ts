import { randomBytes } from 'node:crypto';
import {
  AdminClient,
  AppProcess,
  TelephonyClient,
  type TestDatabase,
  type TestRole,
  createTestDatabase,
  createTestRole,
  freePort,
  queryDatabase,
  testRedisUrl,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';

/**
 * Production mode and PostgreSQL roles, with the built apps as processes: only the admin app migrates (as the schema
 * owner, DATABASE_MIGRATION_URL), the internet-facing line apps and the gateway never run DDL, they wait for the
 * schema; every app's pool is the runtime role, which can do the apps' work and owns nothing.
 */

// production refuses placeholder-looking secrets (libs/config): strong random ones, as an operator would set
const ADMIN_TOKEN = randomBytes(32).toString('hex');
const WEBHOOK_SECRET = randomBytes(32).toString('hex');
const JWT_SECRET = randomBytes(32).toString('hex');

describe('least privilege in production', () => {
  const started: AppProcess[] = [];
  const databases: TestDatabase[] = [];
  const roles: TestRole[] = [];

  afterAll(async () => {
    await Promise.all(started.map((app) => app.stop()));
    await Promise.all(databases.map((database) => database.drop()));
    await Promise.all(roles.map((role) => role.drop()));
  });

  const productionEnv = (port: number, env: Record<string, string>): Record<string, string> => ({
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    REDIS_URL: testRedisUrl(),
    TETHER_ADMIN_TOKEN: ADMIN_TOKEN,
    TETHER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TETHER_JWT_SECRET: JWT_SECRET,
    ...env,
  });
  async function freshDatabase(): Promise<TestDatabase> {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  }
  /** what the app's schema step could have created: tables and functions in public */
  const schemaObjects = async (url: string) =>
    (
      await queryDatabase<{ n: number }>(
        url,
        `SELECT ((SELECT count(*) FROM pg_tables WHERE schemaname = 'public')
               + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'public'))::int AS n`,
      )
    )[0].n;
  async function start(app: string, port: number, env: Record<string, string>): Promise<AppProcess> {
    const child = await AppProcess.start({
      label: `${app} (production)`,
      script: `dist/apps/${app}/src/main.js`,
      env: productionEnv(port, env),
      healthUrls: [`http://127.0.0.1:${port}/health`],
    });
    started.push(child);
    return child;
  }

  it('a line app on an unmigrated database runs no DDL, even as the owner: it waits, and serves once the admin migrated', async () => {
    const database = await freshDatabase();
    const salesPort = await freePort();
    // the owner's URL on purpose: nothing but the process kind keeps it from migrating
    const sales = AppProcess.spawn({
      label: 'sales (production, waiting)',
      script: 'dist/apps/sales/src/main.js',
      env: productionEnv(salesPort, { DATABASE_URL: database.url, TETHER_SCHEMA_WAIT_SECONDS: '90' }),
    });
    started.push(sales);
    await waitFor(() => /waiting for the schema.*no schema yet/.test(sales.logs()), {
      what: 'sales to say it waits for the schema',
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // more than two polls
    expect(sales.running).toBe(true);
    expect(await schemaObjects(database.url)).toBe(0);
    await expect(fetch(`http://127.0.0.1:${salesPort}/health`)).rejects.toThrow();

    const adminPort = await freePort();
    const admin = await start('admin', adminPort, { DATABASE_URL: database.url });
    expect(await schemaObjects(database.url)).toBeGreaterThan(0);
    expect(admin.logs()).toMatch(/applied migrations: InitialSchema1764000000000/);
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${salesPort}/health`).catch(() => undefined))?.status === 200,
      { what: 'sales to serve once the admin migrated', timeoutMs: 20_000 },
    );
    expect(sales.logs()).toMatch(/the schema is at this version: starting/);
    expect(sales.logs()).not.toMatch(/applied migrations|applied SQL sources/);
    const call = await new TelephonyClient(`http://127.0.0.1:${salesPort}`, WEBHOOK_SECRET).postCall({
      callId: uniqueCallId(),
      from: uniquePhone(),
      to: '+15550000001',
    });
    expect(call.status).toBeLessThan(300);
  });

  it('the gateway gives up after TETHER_SCHEMA_WAIT_SECONDS, saying what is missing and who migrates; nothing created', async () => {
    const database = await freshDatabase();
    const gateway = AppProcess.spawn({
      label: 'gateway (production, no schema)',
      script: 'dist/apps/gateway/src/main.js',
      env: productionEnv(await freePort(), { DATABASE_URL: database.url, TETHER_SCHEMA_WAIT_SECONDS: '2' }),
    });
    started.push(gateway);
    const timeout = setTimeout(() => void gateway.stop(0), 30_000);
    const { code } = await gateway.exited;
    clearTimeout(timeout);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull(); // it exited by itself
    expect(gateway.stderr()).toMatch(/schema is not at this build's version after 2 s \(no schema yet\)/);
    expect(gateway.stderr()).toMatch(/only the admin app \(or npm run migration:run/);
    expect(await schemaObjects(database.url)).toBe(0);
  });

  it('two roles: the admin migrates as the owner and grants the runtime role, which every app’s pool uses', async () => {
    const database = await freshDatabase();
    const role = await createTestRole();
    roles.push(role);
    const runtimeUrl = role.urlFor(database.url);
    const [adminPort, salesPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
    const admin = await start('admin', adminPort, {
      DATABASE_URL: runtimeUrl,
      DATABASE_MIGRATION_URL: database.url,
    });
    expect(admin.logs()).toContain(`granted the apps' privileges to ${role.name}`);
    await Promise.all([
      start('sales', salesPort, { DATABASE_URL: runtimeUrl }),
      start('gateway', gatewayPort, { DATABASE_URL: runtimeUrl }),
    ]);

    // the apps' work, as the runtime role: an admin write (and its audit row), a call
    const agent = await new AdminClient(`http://127.0.0.1:${adminPort}`, ADMIN_TOKEN).createAgent({
      name: 'Least Privilege',
      lines: ['sales'],
    });
    const call = await new TelephonyClient(`http://127.0.0.1:${salesPort}`, WEBHOOK_SECRET).postCall({
      callId: uniqueCallId(),
      from: uniquePhone(),
      to: '+15550000001',
    });
    expect(call.status).toBeLessThan(300);
    const audit = await queryDatabase<{ n: number }>(
      database.url,
      `SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'POST /v1/agents%' AND status = 201`,
    );
    expect(audit).toEqual([{ n: 1 }]);
    expect(agent.id).toBeDefined();

    // the pools are the runtime role; the migration's connection is gone; the role owns nothing
    const sessions = await queryDatabase<{ app: string; user: string }>(
      database.url,
      `SELECT DISTINCT application_name AS app, usename AS user FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'tether-%' ORDER BY 1`,
    );
    expect(sessions).toEqual([
      { app: 'tether-admin', user: role.name },
      { app: 'tether-gateway', user: role.name },
      { app: 'tether-sales', user: role.name },
    ]);
    expect(
      await queryDatabase(
        database.url,
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1`,
        [role.name],
      ),
    ).toEqual([]);
  });
});
