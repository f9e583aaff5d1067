import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

interface LiveViewJson {
  now: string;
  totals: { line: string; total: number }[];
  pages: {
    line: string;
    page: number;
    contacts: { id: string; customer: { known: boolean; name: string | null } }[];
  }[];
  agents: {
    id: string;
    state: string;
    load: Record<string, number>;
    contactId: string | null;
    connected: boolean;
  }[];
}

/** tether_live_view (live_view.sql): the facts of the supervisors' live view, one read for every socket. */
describe('tether_live_view', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());
  beforeEach(() => db.fixtures.clear());

  const view = async (lines: string[], pages: [string, number][], size = 2): Promise<LiveViewJson> =>
    (await db.one<{ v: LiveViewJson }>(`SELECT tether_live_view($1, $2, $3, $4) AS v`, [
      lines,
      pages.map((p) => p[0]),
      pages.map((p) => p[1]),
      size,
    ]))!.v;

  it('counts every waiting contact per line and returns only the pages asked for, in service order', async () => {
    const t0 = Date.now() - 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await db.fixtures.contact({ line: 'sales', enqueuedAt: new Date(t0 + i * 1000) }));
    const urgent = await db.fixtures.contact({ line: 'sales', priority: 5, enqueuedAt: new Date(t0 + 9000) });
    await db.fixtures.contact({ line: 'service' });
    await db.fixtures.contact({ line: 'sales', status: 'ended' });

    const facts = await view(
      ['sales', 'service', 'presales'],
      [
        ['sales', 0],
        ['sales', 2],
        ['service', 0],
      ],
    );
    expect(facts.totals.sort((a, b) => a.line.localeCompare(b.line))).toEqual([
      { line: 'presales', total: 0 },
      { line: 'sales', total: 6 },
      { line: 'service', total: 1 },
    ]);
    const page = (line: string, n: number) =>
      facts.pages.find((p) => p.line === line && p.page === n)!.contacts.map((c) => c.id);
    expect(page('sales', 0)).toEqual([urgent, ids[0]]);
    expect(page('sales', 2)).toEqual([ids[3], ids[4]]);
    expect(page('service', 0)).toHaveLength(1);
    expect(facts.pages).toHaveLength(3);
  });

  it("agents of the lines with state, load and the contact they hold; others' lines left out", async () => {
    const busy = await db.fixtures.agent({ lines: ['sales'], capacity: { voice: 1, chat: 2 } });
    const held = await db.fixtures.connected(busy);
    const offeredTo = await db.fixtures.agent({ lines: ['sales'], state: 'away' });
    const offer = await db.fixtures.offered(offeredTo);
    await db.fixtures.agent({ lines: ['service'] });

    const facts = await view(['sales'], [['sales', 0]]);
    expect(facts.agents.map((a) => a.id).sort()).toEqual([busy, offeredTo].sort());
    expect(facts.agents.find((a) => a.id === busy)).toMatchObject({
      state: 'available',
      connected: true,
      load: { voice: 1 },
      contactId: held,
    });
    expect(facts.agents.find((a) => a.id === offeredTo)).toMatchObject({
      state: 'away',
      contactId: offer.contactId,
    });
  });
});
