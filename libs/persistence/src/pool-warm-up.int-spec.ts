import { DataSource } from 'typeorm';
import { createTestDatabase, queryDatabase, TestDatabase } from '@tether/testing';
import { createDataSource } from './data-source.factory';
import { warmPool } from './pool-warm-up';

/** Start-up warm-up against the real PostgreSQL: every connection of the pool opened, kept, and nothing written. */
describe('warmPool (real PostgreSQL)', () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    source = await createDataSource(db.url, 4, 'pool-warm-up-spec').initialize();
    await source.query('CREATE TABLE warm_up_probe (id int PRIMARY KEY)');
  }, 60_000);
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  const sessions = async (): Promise<number[]> =>
    (
      await queryDatabase<{ pid: number }>(
        db.url,
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'pool-warm-up-spec' ORDER BY pid`,
      )
    ).map((row) => row.pid);

  it('runs the work once on each of the pool size connections, in transactions that are rolled back', async () => {
    const seen = new Set<number>();
    let id = 0;
    await warmPool(source, 4, async (tx) => {
      const [{ pid }] = await tx.query<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
      seen.add(pid);
      await tx.query('INSERT INTO warm_up_probe (id) VALUES ($1)', [++id]);
    });
    expect(seen.size).toBe(4);
    expect(await source.query('SELECT count(*)::int AS n FROM warm_up_probe')).toEqual([{ n: 0 }]);
    // the pool keeps them (min = size): the first requests after the warm-up find them open
    expect(await sessions()).toEqual([...seen].sort((a, b) => a - b));
  });

  it('a failing work still releases every connection and rolls back', async () => {
    await expect(
      warmPool(source, 4, async (tx) => {
        await tx.query('INSERT INTO warm_up_probe (id) VALUES (1)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await source.query('SELECT count(*)::int AS n FROM warm_up_probe')).toEqual([{ n: 0 }]);
  });
});
