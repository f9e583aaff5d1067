import { randomBytes } from 'node:crypto';

/** The slice of `pg` used here. `pg` ships no typings and `@types/pg` is not a dependency, so it is typed locally. */
interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
type PgClientConstructor = new (config: { connectionString: string }) => PgClient;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see PgClient: an import would need typings we do not have
const { Client } = require('pg') as { Client: PgClientConstructor };

export interface TestDatabase {
  /** Connection string of the new, empty database. */
  url: string;
  name: string;
  /** Terminates every connection to the database and drops it. Safe to call twice. */
  drop(): Promise<void>;
}

/** The server `npm test` provisioned (any database on it; it is only used to create and drop others). */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run tests through npm test');
  return url;
}

/**
 * Creates a uniquely named empty database on the test server, so test files can run in parallel and
 * each apply the real migrations to a clean schema.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testDatabaseUrl();
  const name = `tether_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  // The name is generated from [a-z0-9_] only, so quoting it as an identifier is enough.
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      await withAdminClient(adminUrl, async (client) => {
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
      dropped = true;
    },
  };
}

/** One query on its own connection: for tests that look at what the apps wrote (e.g. schema_migrations). */
export async function queryDatabase<Row = Record<string, unknown>>(
  url: string,
  sql: string,
  params?: unknown[],
): Promise<Row[]> {
  return withAdminClient(url, async (client) => (await client.query(sql, params)).rows as Row[]);
}

async function withAdminClient<T>(url: string, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
