import { Pool } from 'pg';

export interface DatabasePool {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/**
 * A small pool on a test database, for tests that look at what the apps wrote many times (sampling an invariant
 * every 100 ms, checking hundreds of rows): `queryDatabase` opens a connection per query. Close it in afterAll.
 */
export function openDatabasePool(url: string, max = 3): DatabasePool {
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
  // an idle client that loses its connection (the database dropped at the end) must not crash the test process
  pool.on('error', () => undefined);
  let closed = false;
  return {
    async query<Row>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as Row[];
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
