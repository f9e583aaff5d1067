import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_erase_expired_contact_data (erase_expired_contact_data.sql): retention's part on the contacts. */
describe('tether_erase_expired_contact_data', () => {
  let db: SqlTestDatabase;
  const DAYS = 30;
  const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600_000);

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());
  beforeEach(() => db.fixtures.clear());

  const run = async (limit = 100) =>
    (await db.one<{ n: number }>(`SELECT tether_erase_expired_contact_data($1, $2) AS n`, [DAYS, limit]))!.n;
  /** an ended contact that arrived `age` days ago, with every personal field filled */
  async function contact(age: number, options: Parameters<SqlTestDatabase['fixtures']['contact']>[0] = {}) {
    const id = await db.fixtures.contact({
      createdAt: daysAgo(age),
      status: 'ended',
      resolution: 'resolved',
      notes: 'prefers mornings',
      ...options,
    });
    await db.query(
      `UPDATE contacts SET from_address = '+15557654321', to_address = '+15550000001', ivr = '{"digits":"7"}'
        WHERE id = $1`,
      [id],
    );
    return id;
  }
  const state = (id: string) =>
    db.one<Record<string, unknown>>(
      `SELECT from_address, to_address, ivr, notes, resolution, status, erased_at IS NOT NULL AS erased
         FROM contacts WHERE id = $1`,
      [id],
    );
  const kept = { from_address: '+15557654321', notes: 'prefers mornings', erased: false };

  it('erases only contacts older than p_days (moved back in time): number, number called, IVR input, notes', async () => {
    const old = await contact(DAYS + 1);
    const older = await contact(DAYS * 3);
    const young = await contact(DAYS - 1);
    const today = await contact(0);

    expect(await run()).toBe(2);
    for (const id of [old, older])
      expect(await state(id)).toEqual({
        from_address: null,
        to_address: null,
        ivr: null,
        notes: null,
        resolution: 'resolved',
        status: 'ended',
        erased: true,
      });
    for (const id of [young, today]) expect(await state(id)).toMatchObject(kept);

    // idempotent: a second run finds nothing; the young one goes once it is old enough
    expect(await run()).toBe(0);
    await db.query(`UPDATE contacts SET created_at = $2 WHERE id = $1`, [young, daysAgo(DAYS + 0.01)]);
    expect(await run()).toBe(1);
    expect(await state(young)).toMatchObject({ from_address: null, erased: true });
    expect(await state(today)).toMatchObject(kept);
  });

  it('leaves an old contact still in progress (queued, or the agent still writing notes) for a later run', async () => {
    const agentId = await db.fixtures.agent();
    const waiting = await contact(DAYS + 5, { status: 'queued' });
    const wrapping = await contact(DAYS + 5, { agentId, workOpen: true });
    expect(await run()).toBe(0);
    for (const id of [waiting, wrapping]) expect(await state(id)).toMatchObject(kept);
  });

  it('works in batches of p_limit, oldest first', async () => {
    const ids = [await contact(DAYS + 3), await contact(DAYS + 2), await contact(DAYS + 1)];
    expect(await run(2)).toBe(2);
    expect((await state(ids[0]))!.erased).toBe(true);
    expect((await state(ids[1]))!.erased).toBe(true);
    expect((await state(ids[2]))!.erased).toBe(false);
    expect(await run(2)).toBe(1);
    expect(await run(2)).toBe(0);
  });

  it('skips a contact another transaction holds instead of waiting for it', async () => {
    const held = await contact(DAYS + 2);
    const free = await contact(DAYS + 1);
    const holder = await db.session();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, [held]);
      expect(await run()).toBe(1);
      expect((await state(free))!.erased).toBe(true);
      await holder.query('COMMIT');
      expect(await run()).toBe(1);
      expect((await state(held))!.erased).toBe(true);
    } finally {
      await holder.end();
    }
  });
});
