import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_recent_contacts (recent_contacts.sql): the history an offer's customer card shows. */
describe('tether_recent_contacts', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Entry {
    id: string;
    line: string;
    channel: string;
    agentId: string | null;
    resolution: string | null;
    notes: string | null;
    startedAt: string;
  }
  const recent = async (customerId: string, exclude: string | null, limit: number) =>
    (await db.one<{ history: Entry[] }>(`SELECT tether_recent_contacts($1, $2, $3) AS history`, [
      customerId,
      exclude,
      limit,
    ]))!.history;

  it("a customer's latest contacts, newest first, at most p_limit, one left out, nobody else's", async () => {
    const customerId = await db.fixtures.customer();
    const agentId = await db.fixtures.agent();
    const at = (minutesAgo: number) => new Date(Date.UTC(2026, 0, 1, 12, 0) - minutesAgo * 60_000);
    const oldest = await db.fixtures.contact({ customerId, createdAt: at(30), status: 'ended' });
    const middle = await db.fixtures.contact({
      customerId,
      createdAt: at(20),
      status: 'ended',
      line: 'service',
      agentId,
      resolution: 'resolved',
      notes: 'refund sent',
    });
    const newer = await db.fixtures.contact({ customerId, createdAt: at(10), status: 'ended' });
    const current = await db.fixtures.contact({ customerId, createdAt: at(0) });
    await db.fixtures.contact({ createdAt: at(5) }); // another customer's

    const history = await recent(customerId, current, 2);
    expect(history.map((entry) => entry.id)).toEqual([newer, middle]);
    expect(history[1]).toEqual({
      id: middle,
      line: 'service',
      channel: 'voice',
      agentId,
      resolution: 'resolved',
      notes: 'refund sent',
      startedAt: '2026-01-01T11:40:00.000Z',
    });
    expect((await recent(customerId, current, 10)).map((entry) => entry.id)).toEqual([newer, middle, oldest]);
    expect((await recent(customerId, null, 10)).map((entry) => entry.id)).toEqual([
      current,
      newer,
      middle,
      oldest,
    ]);
  });

  it('contacts created at the same moment come in descending id order', async () => {
    const customerId = await db.fixtures.customer();
    const at = new Date('2026-02-01T00:00:00Z');
    const ids = [
      await db.fixtures.contact({ customerId, createdAt: at }),
      await db.fixtures.contact({ customerId, createdAt: at }),
      await db.fixtures.contact({ customerId, createdAt: at }),
    ];
    expect((await recent(customerId, null, 5)).map((entry) => entry.id)).toEqual([...ids].sort().reverse());
  });

  it('an empty array for a customer without other contacts', async () => {
    const customerId = await db.fixtures.customer();
    expect(await recent(customerId, null, 5)).toEqual([]);
    const only = await db.fixtures.contact({ customerId });
    expect(await recent(customerId, only, 5)).toEqual([]);
  });
});
