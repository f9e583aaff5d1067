import type { QueryResult, QueryResultRow } from 'pg';
import { createTestDatabase, type TestDatabase } from '@tether/testing';
import { createDataSource } from './data-source.factory';
import { PREPARED_PER_CONNECTION, prepared } from './prepared-statements';
import { TetherPgClient } from './tether-pg-client';

/**
 * TetherPgClient against a real PostgreSQL: what it names (a statement marked by `prepared()` and sent with values,
 * once per connection), what it leaves unnamed (unmarked, no values, past the per-connection bound), and a table
 * changed under a prepared `SELECT *` (one failure, then prepared anew). The pool TypeORM makes uses it.
 */
describe('TetherPgClient: parameterised statements prepared by name, once per connection (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: TetherPgClient;
  /** a query on a client, typed */
  const sql = <Row extends QueryResultRow = Record<string, unknown>>(
    on: TetherPgClient,
    text: string,
    values?: unknown[],
  ) => on.query(text, values) as Promise<QueryResult<Row>>;

  const preparedOnServer = async () =>
    (
      await sql<{ name: string; statement: string }>(
        client,
        `SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time, name`,
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new TetherPgClient({ connectionString: db.url });
    await client.connect();
    await sql(client, `CREATE TABLE things (id int PRIMARY KEY, label text)`);
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('a marked statement with values is parsed once and then only bound and executed; one without values is not named', async () => {
    const insert = prepared('INSERT INTO things (id, label) VALUES ($1, $2) RETURNING id');
    for (let i = 1; i <= 3; i++)
      expect((await sql(client, insert, [i, `thing ${i}`])).rows).toEqual([{ id: i }]);
    await sql(client, prepared('SELECT count(*) FROM things'));
    expect(client.prepared).toBe(1);
    expect(await preparedOnServer()).toEqual([{ name: 'tether_0', statement: insert }]);

    // a failing execution (a duplicate key) leaves the statement usable
    await expect(sql(client, insert, [1, 'again'])).rejects.toMatchObject({ code: '23505' });
    expect((await sql(client, insert, [4, 'thing 4'])).rows).toEqual([{ id: 4 }]);
    expect(client.prepared).toBe(1);
  });

  it('an unmarked statement with values runs unnamed (its plan is made for its values on every call)', async () => {
    const unmarked = 'SELECT $1::int AS n';
    expect((await sql(client, unmarked, [7])).rows).toEqual([{ n: 7 }]);
    expect((await preparedOnServer()).some((s) => s.statement === unmarked)).toBe(false);
  });

  it('past PREPARED_PER_CONNECTION distinct texts, further ones run unnamed and still answer', async () => {
    const before = client.prepared;
    for (let i = 0; client.prepared < PREPARED_PER_CONNECTION; i++)
      await sql(client, prepared(`SELECT $1::int + ${i} AS n`), [1]);
    expect(client.prepared).toBe(PREPARED_PER_CONNECTION);
    expect(PREPARED_PER_CONNECTION).toBeGreaterThan(before);
    const extra = prepared('SELECT $1::int * 2 AS n');
    expect((await sql(client, extra, [21])).rows).toEqual([{ n: 42 }]);
    expect(client.prepared).toBe(PREPARED_PER_CONNECTION);
    expect((await preparedOnServer()).some((s) => s.statement === extra)).toBe(false);
  });

  it('a table whose columns change under a prepared SELECT *: one failure, then prepared anew with the new columns', async () => {
    const fresh = new TetherPgClient({ connectionString: db.url });
    await fresh.connect();
    try {
      const read = prepared('SELECT * FROM things WHERE id = $1');
      expect((await sql(fresh, read, [1])).rows).toEqual([{ id: 1, label: 'thing 1' }]);
      await sql(client, `ALTER TABLE things ADD COLUMN colour text NOT NULL DEFAULT 'red'`);
      await expect(sql(fresh, read, [1])).rejects.toMatchObject({ code: '0A000' });
      expect((await sql(fresh, read, [1])).rows).toEqual([{ id: 1, label: 'thing 1', colour: 'red' }]);
    } finally {
      await fresh.end();
    }
  });

  it("TypeORM's pool makes its connections with it; TETHER_DB_PREPARED_STATEMENTS=false (preparedStatements: false) does not", async () => {
    for (const preparedStatements of [true, false]) {
      const source = await createDataSource(db.url, 1, 'prepared-spec', { preparedStatements }).initialize();
      try {
        await source.query(prepared('SELECT $1::int AS n'), [1]);
        const [{ n }] = await source.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`,
          [prepared('SELECT $1::int AS n')],
        );
        expect(n).toBe(preparedStatements ? 1 : 0);
      } finally {
        await source.destroy();
      }
    }
  });
});
