import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_remember_hangup (remember_hangup.sql) against the real PostgreSQL with the real migrations and SQL sources. */
describe('tether_remember_hangup', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Remembered {
    outcome: 'known' | 'remembered';
    contact_id: string | null;
    remembered_until: Date | null;
  }

  const remember = (line: string, callId: string, keepSeconds = 600) =>
    db
      .query<Remembered>(`SELECT * FROM tether_remember_hangup($1, 'voice', $2, $3)`, [
        line,
        callId,
        keepSeconds,
      ])
      .then((rows) => rows[0]);
  const tombstone = (line: string, callId: string) =>
    db.one<{ expires_at: Date; received_at: Date }>(
      `SELECT expires_at, received_at FROM call_tombstones WHERE line = $1 AND channel = 'voice' AND external_id = $2`,
      [line, callId],
    );
  const dbNow = async () => (await db.one<{ now: Date }>(`SELECT now()`))!.now.getTime();

  it("'remembered': a call id this line has not seen leaves a tombstone until now + p_keep_seconds", async () => {
    const callId = db.fixtures.callId();
    const before = await dbNow();
    const result = await remember('sales', callId, 600);
    expect(result.outcome).toBe('remembered');
    expect(result.contact_id).toBeNull();
    const row = (await tombstone('sales', callId))!;
    expect(row.expires_at).toEqual(result.remembered_until);
    expect(row.expires_at.getTime() - before).toBeGreaterThanOrEqual(600_000);
    expect(row.expires_at.getTime() - before).toBeLessThan(610_000);
  });

  it('a second hang-up for it keeps one tombstone and never shortens it', async () => {
    const callId = db.fixtures.callId();
    const first = await remember('sales', callId, 900);
    const again = await remember('sales', callId, 600);
    expect(again.outcome).toBe('remembered');
    expect(again.remembered_until).toEqual(first.remembered_until);
    expect(
      await db.one(`SELECT count(*)::int AS n FROM call_tombstones WHERE external_id = $1`, [callId]),
    ).toEqual({ n: 1 });
  });

  it("'known': this line's contact with that call id, and nothing written", async () => {
    const callId = db.fixtures.callId();
    const contactId = await db.fixtures.contact({ externalId: callId, line: 'sales' });
    expect(await remember('sales', callId)).toEqual({
      outcome: 'known',
      contact_id: contactId,
      remembered_until: null,
    });
    expect(await tombstone('sales', callId)).toBeUndefined();
  });

  it("the same call id on another line is not this line's call: remembered there, the contact untouched", async () => {
    const callId = db.fixtures.callId();
    const contactId = await db.fixtures.contact({ externalId: callId, line: 'sales', status: 'queued' });
    expect((await remember('service', callId)).outcome).toBe('remembered');
    expect(await tombstone('service', callId)).toBeDefined();
    expect(await tombstone('sales', callId)).toBeUndefined();
    expect(await db.one(`SELECT status FROM contacts WHERE id = $1`, [contactId])).toEqual({
      status: 'queued',
    });
  });

  it('expired tombstones are deleted at insert, at most 100 a time; live ones are kept', async () => {
    await db.query(`DELETE FROM call_tombstones`);
    await db.query(
      `INSERT INTO call_tombstones (line, channel, external_id, expires_at)
       SELECT 'sales', 'voice', 'expired-' || i, now() - interval '1 second' FROM generate_series(1, 150) i`,
    );
    const live = db.fixtures.callId();
    await remember('presales', live, 600);
    const counts = () =>
      db.one<{ expired: number; live: number }>(
        `SELECT count(*) FILTER (WHERE expires_at <= now())::int AS expired,
                count(*) FILTER (WHERE expires_at > now())::int AS live FROM call_tombstones`,
      );
    expect(await counts()).toEqual({ expired: 50, live: 1 });
    await remember('presales', db.fixtures.callId(), 600);
    expect(await counts()).toEqual({ expired: 0, live: 2 });
    expect(await tombstone('presales', live)).toBeDefined();
  });
});
