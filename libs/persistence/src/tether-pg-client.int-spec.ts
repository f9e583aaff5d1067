import type { QueryResult, QueryResultRow } from 'pg';
import { createTestDatabase, type TestDatabase } from '@tether/testing';
import { inTransaction } from './transaction';
import { createDataSource } from './data-source.factory';
import { lastRows } from './sql';
import { StatementAfterCommitError, TetherPgClient } from './tether-pg-client';

/** Counts the socket writes a client makes from now until `restore()` (a corked batch of messages is one write). */
function countWrites(client: TetherPgClient): { writes(): number; restore(): void } {
  const stream = (client as unknown as { connection: { stream: Record<string, unknown> } }).connection.stream;
  let writes = 0;
  const original = { write: stream._write, writev: stream._writev };
  const counted = (method: unknown) =>
    function (this: unknown, ...args: unknown[]) {
      writes++;
      return (method as (...a: unknown[]) => unknown).apply(this, args);
    };
  stream._write = counted(original.write);
  stream._writev = counted(original.writev);
  return {
    writes: () => writes,
    restore: () => {
      stream._write = original.write;
      stream._writev = original.writev;
    },
  };
}

/**
 * TetherPgClient's pipeline mode against a real PostgreSQL: a transaction's BEGIN is held and written with the
 * transaction's first statement (one write, one round trip), the transaction means what it meant (its statements
 * commit or roll back together, its isolation level holds), and with pipeline mode off BEGIN is sent as before.
 */
describe('TetherPgClient: a transaction’s BEGIN written with its first statement (real PostgreSQL)', () => {
  let db: TestDatabase;
  const sql = <Row extends QueryResultRow = Record<string, unknown>>(
    on: TetherPgClient,
    text: string,
    values?: unknown[],
  ) => on.query(text, values) as Promise<QueryResult<Row>>;

  /** the socket writes a client makes while `work` runs (a corked pair is one write) */
  async function writesDuring(client: TetherPgClient, work: () => Promise<unknown>): Promise<number> {
    const counter = countWrites(client);
    try {
      await work();
    } finally {
      counter.restore();
    }
    return counter.writes();
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const setup = new TetherPgClient({ connectionString: db.url });
    await setup.connect();
    await sql(setup, `CREATE TABLE things (id int PRIMARY KEY, label text)`);
    await setup.end();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('pipelined: START TRANSACTION is answered at once and goes out in one write with the next statement, inside the transaction', async () => {
    const client = new TetherPgClient({ connectionString: db.url, pipeline: true });
    await client.connect();
    try {
      const begun = await sql(client, 'START TRANSACTION');
      expect(begun.command).toBe('BEGIN');
      expect(client.holdsBegin).toBe(true);
      const writes = await writesDuring(client, async () => {
        const inserted = await sql(client, `INSERT INTO things VALUES ($1, $2) RETURNING id`, [1, 'one']);
        expect(inserted.rows).toEqual([{ id: 1 }]);
      });
      expect(writes).toBe(1);
      expect(client.holdsBegin).toBe(false);
      // the insert is inside the transaction: a second session does not see it before the commit
      expect(client.getTransactionStatus()).toBe('T');
      await sql(client, 'ROLLBACK');
      expect((await sql(client, `SELECT count(*)::int AS n FROM things`)).rows).toEqual([{ n: 0 }]);

      // without pipeline mode the same pair is two writes (and two round trips)
      const plain = new TetherPgClient({ connectionString: db.url, pipeline: false });
      await plain.connect();
      try {
        const plainWrites = await writesDuring(plain, async () => {
          await sql(plain, 'START TRANSACTION');
          expect(plain.holdsBegin).toBe(false);
          await sql(plain, `SELECT 1 AS one`);
        });
        expect(plainWrites).toBe(2);
        await sql(plain, 'ROLLBACK');
      } finally {
        await plain.end();
      }
    } finally {
      await client.end();
    }
  });

  it('a failing first statement aborts the transaction as before; the session is usable after ROLLBACK', async () => {
    const client = new TetherPgClient({ connectionString: db.url, pipeline: true });
    await client.connect();
    try {
      await sql(client, 'START TRANSACTION');
      await expect(sql(client, `SELECT * FROM no_such_table`)).rejects.toMatchObject({ code: '42P01' });
      await expect(sql(client, `SELECT 1`)).rejects.toMatchObject({ code: '25P02' }); // aborted transaction
      await sql(client, 'ROLLBACK');
      expect((await sql(client, `SELECT 2 AS two`)).rows).toEqual([{ two: 2 }]);
    } finally {
      await client.end();
    }
  });

  it('through TypeORM: commits and rollbacks, an isolation level, and a retried deadlock behave as without it', async () => {
    const source = await createDataSource(db.url, 2, 'pipeline-spec', { pipeline: true }).initialize();
    const other = new TetherPgClient({ connectionString: db.url });
    await other.connect();
    try {
      await inTransaction(source, async (tx) => {
        await tx.query(`INSERT INTO things VALUES (10, 'ten')`);
        await tx.query(`INSERT INTO things VALUES (11, 'eleven')`);
      });
      await expect(
        inTransaction(source, async (tx) => {
          await tx.query(`INSERT INTO things VALUES (12, 'twelve')`);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect((await sql(other, `SELECT id FROM things WHERE id >= 10 ORDER BY id`)).rows).toEqual([
        { id: 10 },
        { id: 11 },
      ]);

      // REPEATABLE READ holds from the first statement: a row committed by another session meanwhile is not seen
      const seen = await source.transaction('REPEATABLE READ', async (tx) => {
        const before = await tx.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM things`);
        await sql(other, `INSERT INTO things VALUES (13, 'thirteen')`);
        const after = await tx.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM things`);
        const [{ level }] = await tx.query<{ level: string }[]>(
          `SELECT current_setting('transaction_isolation') AS level`,
        );
        return { before: before[0].n, after: after[0].n, level };
      });
      expect(seen).toEqual({ before: 2, after: 2, level: 'repeatable read' });

      // two transactions each holding a row the other wants: one is the deadlock's victim, retried, both commit
      await Promise.all(
        [
          [10, 11],
          [11, 10],
        ].map(([first, second]) =>
          inTransaction(source, async (tx) => {
            await tx.query(`UPDATE things SET label = label || '+' WHERE id = $1`, [first]);
            await tx.query(`SELECT pg_sleep(0.2)`);
            await tx.query(`UPDATE things SET label = label || '+' WHERE id = $1`, [second]);
          }),
        ),
      );
      expect((await sql(other, `SELECT label FROM things WHERE id IN (10, 11) ORDER BY id`)).rows).toEqual([
        { label: 'ten++' },
        { label: 'eleven++' },
      ]);
    } finally {
      await other.end();
      await source.destroy();
    }
  });
});

describe('TetherPgClient: a transaction’s last statement written with its COMMIT (real PostgreSQL)', () => {
  let db: TestDatabase;
  let source: Awaited<ReturnType<ReturnType<typeof createDataSource>['initialize']>>;
  let other: TetherPgClient;
  const count = async () =>
    ((await other.query(`SELECT count(*)::int AS n FROM things`)) as QueryResult<{ n: number }>).rows[0].n;

  beforeAll(async () => {
    db = await createTestDatabase();
    other = new TetherPgClient({ connectionString: db.url });
    await other.connect();
    await other.query(`CREATE TABLE things (id int PRIMARY KEY, label text)`);
    source = await createDataSource(db.url, 1, 'commit-spec', { pipeline: true }).initialize();
  }, 60_000);
  afterAll(async () => {
    await source?.destroy();
    await other?.end();
    await db?.drop();
  });

  it('a one-statement transaction is one write: BEGIN, the statement and COMMIT; it commits and returns its rows', async () => {
    let counter: ReturnType<typeof countWrites> | undefined;
    const rowsBack = await inTransaction(source, async (tx) => {
      counter = countWrites(
        (tx.queryRunner as unknown as { databaseConnection: TetherPgClient }).databaseConnection,
      );
      return lastRows<{ id: number }>(tx, `INSERT INTO things VALUES ($1, $2) RETURNING id`, [1, 'one']);
    });
    // TypeORM's COMMIT after the work was answered from the one already sent: no write of its own
    counter!.restore();
    expect(rowsBack).toEqual([{ id: 1 }]);
    expect(counter!.writes()).toBe(1);
    expect(await count()).toBe(1);
  });

  it('a failing last statement: its error reaches the work, nothing is committed, the connection is clean after it', async () => {
    await expect(
      inTransaction(source, async (tx) => {
        await tx.query(`INSERT INTO things VALUES (2, 'two')`);
        await lastRows(tx, `INSERT INTO things VALUES ($1, $2)`, [1, 'duplicate']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await count()).toBe(1);
    // the connection is clean after it
    await inTransaction(source, async (tx) => {
      await tx.query(`INSERT INTO things VALUES (3, 'three')`);
      await lastRows(tx, `UPDATE things SET label = $2 WHERE id = $1`, [3, 'drei']);
    });
    expect(((await other.query(`SELECT label FROM things WHERE id = 3`)) as QueryResult).rows).toEqual([
      { label: 'drei' },
    ]);
  });

  it('a statement after the last one is refused and nothing after it runs; the last one committed', async () => {
    await expect(
      inTransaction(source, async (tx) => {
        await lastRows(tx, `INSERT INTO things VALUES ($1, $2)`, [4, 'four']);
        await tx.query(`INSERT INTO things VALUES (5, 'five')`);
      }),
    ).rejects.toMatchObject({ driverError: expect.any(StatementAfterCommitError) as unknown });
    expect(((await other.query(`SELECT id FROM things WHERE id IN (4, 5)`)) as QueryResult).rows).toEqual([
      { id: 4 },
    ]);
  });

  it('outside a transaction, or nested in one (a savepoint), lastRows is a plain statement', async () => {
    expect(await lastRows(source.manager, `SELECT $1::int AS n`, [6])).toEqual([{ n: 6 }]);
    await inTransaction(source, async (tx) => {
      await tx.transaction(async (inner) => {
        await lastRows(inner, `INSERT INTO things VALUES ($1, $2)`, [7, 'seven']);
        await inner.query(`INSERT INTO things VALUES (8, 'eight')`);
      });
      await tx.query(`INSERT INTO things VALUES (9, 'nine')`);
    });
    expect(
      ((await other.query(`SELECT id FROM things WHERE id >= 7 ORDER BY id`)) as QueryResult).rows,
    ).toEqual([{ id: 7 }, { id: 8 }, { id: 9 }]);
  });
});
