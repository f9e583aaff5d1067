import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_cancel_job (cancel_job.sql) and tether_hasten_job (hasten_job.sql): only ever an unclaimed job. */
describe('tether_cancel_job and tether_hasten_job', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const schedule = (key: string, runAt = new Date(Date.now() + 5_000)) =>
    db.query(`SELECT tether_schedule_job('t.unclaimed', $1, '{}', $2)`, [key, runAt]);
  const claim = (key: string) =>
    db.query(
      `UPDATE scheduled_jobs SET locked_until = now() + interval '5 seconds' WHERE kind = 't.unclaimed' AND dedupe_key = $1`,
      [key],
    );
  const job = async (key: string) =>
    (
      await db.query<{ run_at: Date; attempts: number }>(
        `SELECT run_at, attempts FROM scheduled_jobs WHERE kind = 't.unclaimed' AND dedupe_key = $1`,
        [key],
      )
    )[0];
  const call = async (sql: string, params: unknown[]) =>
    (await db.query<{ done: boolean }>(`SELECT ${sql} AS done`, params))[0].done;

  it('cancel: deletes the unclaimed job (true); a claimed or missing one is left alone (false)', async () => {
    await schedule('c1');
    await schedule('c2');
    await claim('c2');
    expect(await call(`tether_cancel_job('t.unclaimed', $1)`, ['c1'])).toBe(true);
    expect(await job('c1')).toBeUndefined();
    expect(await call(`tether_cancel_job('t.unclaimed', $1)`, ['c2'])).toBe(false);
    expect(await job('c2')).toBeDefined();
    expect(await call(`tether_cancel_job('t.unclaimed', $1)`, ['nope'])).toBe(false);
    expect(await call(`tether_cancel_job('t.other', $1)`, ['c2'])).toBe(false);
  });

  it('hasten: moves the unclaimed job to now + delay and counts the attempt; a claimed one is left alone', async () => {
    await schedule('h1', new Date(Date.now() + 60_000));
    await schedule('h2', new Date(Date.now() + 60_000));
    await claim('h2');
    const before = Date.now();
    expect(await call(`tether_hasten_job('t.unclaimed', $1, 500)`, ['h1'])).toBe(true);
    const moved = await job('h1');
    expect(moved.attempts).toBe(1);
    expect(moved.run_at.getTime()).toBeGreaterThanOrEqual(before + 500 - 1_000);
    expect(moved.run_at.getTime()).toBeLessThan(before + 5_000);
    expect(await call(`tether_hasten_job('t.unclaimed', $1, 500)`, ['h2'])).toBe(false);
    expect((await job('h2')).attempts).toBe(0);
  });
});
