import { createSqlTestDatabase, SqlQuery, SqlTestDatabase } from '@tether/testing';

/** tether_schedule_job (schedule_job.sql): the one way a durable timer is written, on the real PostgreSQL. */
describe('tether_schedule_job', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const schedule = (kind: string, key: string | null, payload: object, runAt: Date, on: SqlQuery = db) =>
    on.query(`SELECT tether_schedule_job($1, $2, $3, $4)`, [kind, key, JSON.stringify(payload), runAt]);
  const jobs = (kind: string) =>
    db.query<{
      dedupe_key: string | null;
      payload: unknown;
      run_at: Date;
      attempts: number;
      claim_token: string;
    }>(
      `SELECT dedupe_key, payload, run_at, attempts, claim_token::text AS claim_token FROM scheduled_jobs
        WHERE kind = $1 ORDER BY id`,
      [kind],
    );

  it('writes a job, unclaimed, due at run_at', async () => {
    const at = new Date('2030-01-01T00:00:00.123Z');
    const [result] = await db.query<{ r: unknown }>(
      `SELECT tether_schedule_job('t.write', 'k', '{"a":1}', $1) AS r`,
      [at],
    );
    expect(result.r).toBe(''); // void
    expect(await jobs('t.write')).toEqual([
      { dedupe_key: 'k', payload: { a: 1 }, run_at: at, attempts: 0, claim_token: '0' },
    ]);
  });

  it('with a dedupe key, the existing job of that kind and key wins; another kind is another job', async () => {
    const first = new Date('2030-01-01T00:00:00Z');
    await schedule('t.dedupe', 'same', { n: 1 }, first);
    await schedule('t.dedupe', 'same', { n: 2 }, new Date('2031-01-01T00:00:00Z'));
    await schedule('t.other', 'same', { n: 3 }, first);
    expect(await jobs('t.dedupe')).toEqual([
      expect.objectContaining({ dedupe_key: 'same', payload: { n: 1 }, run_at: first }),
    ]);
    expect(await jobs('t.other')).toHaveLength(1);
  });

  it('without a dedupe key, every call writes a job', async () => {
    const at = new Date('2030-01-01T00:00:00Z');
    await schedule('t.nokey', null, { n: 1 }, at);
    await schedule('t.nokey', null, { n: 1 }, at);
    expect((await jobs('t.nokey')).map((job) => job.dedupe_key)).toEqual([null, null]);
  });

  it('a concurrent call with the same key waits for the first transaction: nothing after its commit, the job after its rollback', async () => {
    const [a, b] = [await db.session(), await db.session()];
    try {
      const at = new Date('2030-01-01T00:00:00Z');
      await a.query('BEGIN');
      await schedule('t.race', 'committed', { by: 'a' }, at, a);
      const waiting = schedule('t.race', 'committed', { by: 'b' }, at, b);
      await db.waitingForLock(b.pid);
      await a.query('COMMIT');
      await waiting;
      expect((await jobs('t.race')).map((job) => job.payload)).toEqual([{ by: 'a' }]);

      await a.query('BEGIN');
      await schedule('t.race2', 'rolled back', { by: 'a' }, at, a);
      const after = schedule('t.race2', 'rolled back', { by: 'b' }, at, b);
      await db.waitingForLock(b.pid);
      await a.query('ROLLBACK');
      await after;
      expect((await jobs('t.race2')).map((job) => job.payload)).toEqual([{ by: 'b' }]);
    } finally {
      await a.end();
      await b.end();
    }
  });
});
