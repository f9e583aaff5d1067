import { createSqlTestDatabase, SqlQuery, SqlTestDatabase } from '@tether/testing';

/** tether_expire_due_offers (expire_due_offers.sql): every instance's expiry sweep. */
describe('tether_expire_due_offers', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterEach(() => db.fixtures.clear());
  afterAll(() => db?.drop());

  const sweep = (limit = 100, on: SqlQuery = db) =>
    on.query<{ offer_id: string; set_away: boolean }>(`SELECT * FROM tether_expire_due_offers($1)`, [limit]);
  const secondsAgo = (s: number) => new Date(Date.now() - s * 1000);

  it('expires the due pending offers, earliest first, at most p_limit; leaves the others', async () => {
    const agents = [
      await db.fixtures.agent(),
      await db.fixtures.agent(),
      await db.fixtures.agent(),
      await db.fixtures.agent(),
    ];
    const second = await db.fixtures.offered(agents[0], { expiresAt: secondsAgo(2) });
    const first = await db.fixtures.offered(agents[1], { expiresAt: secondsAgo(3) });
    const third = await db.fixtures.offered(agents[2], { expiresAt: secondsAgo(1) });
    const notDue = await db.fixtures.offered(agents[3], { expiresAt: new Date(Date.now() + 60_000) });

    expect((await sweep(2)).map((row) => row.offer_id)).toEqual([first.offerId, second.offerId]);
    expect((await sweep()).map((row) => row.offer_id)).toEqual([third.offerId]);
    expect(await sweep()).toEqual([]);
    expect(await db.one(`SELECT state FROM offers WHERE id = $1`, [notDue.offerId])).toEqual({
      state: 'pending',
    });
    expect(
      await db.query(`SELECT DISTINCT state FROM agent_presence WHERE agent_id = ANY($1)`, [
        agents.slice(0, 3),
      ]),
    ).toEqual([{ state: 'away' }]);
  });

  it('two sweeps at once expire each offer once: the second waits for the locks, then skips what the first did', async () => {
    const offers: string[] = [];
    for (let i = 0; i < 5; i++)
      offers.push(
        (await db.fixtures.offered(await db.fixtures.agent(), { expiresAt: secondsAgo(5 - i) })).offerId,
      );
    const [a, b] = [await db.session(), await db.session()];
    try {
      await a.query('BEGIN');
      const byA = await sweep(100, a);
      const byB = sweep(100, b);
      await db.waitingForLock(b.pid);
      await a.query('COMMIT');
      expect(byA.map((row) => row.offer_id)).toEqual(offers);
      expect(await byB).toEqual([]);
    } finally {
      await a.end();
      await b.end();
    }
  });
});
