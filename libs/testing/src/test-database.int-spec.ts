import { createConnection } from 'node:net';
import { createClient } from 'redis';
import {
  createTestDatabase,
  createTestRedisPrefix,
  flushRedisPrefix,
  freePort,
  testDatabaseUrl,
  testRedisUrl,
  waitFor,
} from '@tether/testing';

// pg has no typings here; see test-database.ts.
interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Client } = require('pg') as { Client: new (config: { connectionString: string }) => PgClient };

async function query(url: string, sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('test database', () => {
  it('creates an empty, usable database and drops it afterwards', async () => {
    const db = await createTestDatabase();
    try {
      const [info] = await query(db.url, 'SELECT current_database() AS name, version() AS version');
      expect(info.name).toBe(db.name);
      expect(String(info.version)).toMatch(/^PostgreSQL 1[7-9]/);

      const tables = await query(
        db.url,
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(tables[0].n).toBe(0);

      await query(db.url, 'CREATE TABLE probe (id int PRIMARY KEY, note text NOT NULL)');
      await query(db.url, 'INSERT INTO probe VALUES ($1, $2)', [1, 'hello']);
      expect(await query(db.url, 'SELECT note FROM probe WHERE id = 1')).toEqual([{ note: 'hello' }]);

      // An open connection must not stop drop() from dropping it.
      const lingering = new Client({ connectionString: db.url });
      lingering.on('error', () => undefined);
      await lingering.connect();
      void lingering.query('SELECT pg_sleep(30)').catch(() => undefined);
    } finally {
      await db.drop();
    }
    const remaining = await query(testDatabaseUrl(), 'SELECT 1 FROM pg_database WHERE datname = $1', [
      db.name,
    ]);
    expect(remaining).toEqual([]);
    await expect(db.drop()).resolves.toBeUndefined();
  });

  it('gives every database its own name', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});

describe('test redis', () => {
  it('answers at TEST_REDIS_URL and flushes only its own prefix', async () => {
    const url = testRedisUrl();
    const mine = createTestRedisPrefix();
    const theirs = createTestRedisPrefix();
    expect(mine).toMatch(/^t[0-9a-f]+:$/);
    expect(mine).not.toBe(theirs);

    const client = createClient({ url });
    await client.connect();
    try {
      expect(await client.ping()).toBe('PONG');
      await client.mSet([
        [`${mine}a`, '1'],
        [`${mine}b`, '2'],
        [`${theirs}a`, '3'],
      ]);
      expect(await flushRedisPrefix(url, mine)).toBe(2);
      expect(await client.exists([`${mine}a`, `${mine}b`])).toBe(0);
      expect(await client.get(`${theirs}a`)).toBe('3');
      await flushRedisPrefix(url, theirs);
    } finally {
      client.destroy();
    }
  });
});

describe('freePort and waitFor', () => {
  it('finds a port nobody listens on', async () => {
    const port = await freePort();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('resolves to the first truthy value and names what it waited for on timeout', async () => {
    let calls = 0;
    await expect(
      waitFor(() => (++calls >= 3 ? calls : undefined), { what: 'three calls', intervalMs: 1 }),
    ).resolves.toBe(3);
    await expect(waitFor(() => false, { what: 'the impossible', timeoutMs: 50 })).rejects.toThrow(
      /the impossible/,
    );
  });
});
