import { createSqlTestDatabase, SqlQuery, SqlTestDatabase } from '@tether/testing';

/** tether_routing_snapshot (routing_snapshot.sql): one routing pass's input, read under the line's advisory lock. */
describe('tether_routing_snapshot', () => {
  let db: SqlTestDatabase;
  const LOCK = 7_246_318_901; // any key: the caller passes the line's

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterEach(() => db.fixtures.clear());
  afterAll(() => db?.drop());

  interface AgentJson {
    id: string;
    state: string;
    connected: boolean;
    load: Record<string, number>;
    idleSince: string;
    wrapUpUntil: string | null;
    lines: string[];
    skills: Record<string, number>;
    capacity: Record<string, number>;
  }
  interface Snapshot {
    version: number;
    contacts: {
      id: string;
      channel: string;
      priority: number;
      enqueuedAt: string;
      requiredSkills: Record<string, number>;
      preferredAgentId: string | null;
      preferredCause: string | null;
      excludedAgentIds: string[];
    }[];
    agents: AgentJson[];
    sticky: AgentJson[];
    agentLimitReached: boolean;
    contactLimitReached: boolean;
  }
  const snapshot = async (
    line: string,
    contactLimit = 200,
    agentLimit = 800,
    on: SqlQuery = db,
    lock = LOCK,
  ) =>
    (
      await on.query<{ s: Snapshot }>(`SELECT tether_routing_snapshot($1, $2, $3, $4) AS s`, [
        line,
        lock,
        contactLimit,
        agentLimit,
      ])
    )[0].s;
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

  it("no waiting contact: the line's rules version and nothing else, not even its free agents", async () => {
    await db.fixtures.agent({ lines: ['sales'] });
    const version = await db.fixtures.rules('sales', {});
    expect(await snapshot('sales')).toEqual({
      version,
      agents: [],
      contacts: [],
      sticky: [],
      agentLimitReached: false,
      contactLimitReached: false,
    });
  });

  it('the waiting contacts by priority, then arrival, at most p_contact_limit', async () => {
    await db.fixtures.agent({ lines: ['sales'] });
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const agentId = await db.fixtures.agent({ lines: ['sales'], state: 'away' });
    const late = await db.fixtures.contact({ enqueuedAt: at(30), priority: 0 });
    const urgent = await db.fixtures.contact({
      enqueuedAt: at(40),
      priority: 5,
      requiredSkills: { billing: 3 },
    });
    const early = await db.fixtures.contact({
      enqueuedAt: at(10),
      priority: 0,
      stickyAgentId: agentId,
      excludedAgentIds: [agentId],
    });
    await db.fixtures.contact({ enqueuedAt: at(1), status: 'ended' });
    await db.fixtures.contact({ enqueuedAt: at(1), line: 'service' });

    // Which contacts are read is the function's; the array's order is not the queue order (with a sticky contact
    // waiting, PostgreSQL may feed the aggregates sorted by sticky agent, for the DISTINCT one): the engine sorts.
    const ids = (s: Snapshot) => s.contacts.map((c) => c.id).sort();
    const all = await snapshot('sales');
    expect(ids(all)).toEqual([urgent, early, late].sort());
    expect(all.contactLimitReached).toBe(false);
    expect(all.contacts.find((c) => c.id === urgent)).toMatchObject({
      channel: 'voice',
      priority: 5,
      requiredSkills: { billing: 3 },
      preferredAgentId: null,
      preferredCause: null,
      excludedAgentIds: [],
    });
    expect(new Date(all.contacts.find((c) => c.id === urgent)!.enqueuedAt).getTime()).toBe(at(40).getTime());
    expect(all.contacts.find((c) => c.id === early)).toMatchObject({
      preferredAgentId: agentId,
      preferredCause: 'last_agent',
      excludedAgentIds: [agentId],
    });

    const limited = await snapshot('sales', 2);
    expect(ids(limited)).toEqual([urgent, early].sort());
    expect(limited.contactLimitReached).toBe(true);
    expect(ids(await snapshot('sales', 1))).toEqual([urgent]);
  });

  it('the free agents of the line, longest idle first: available, connected, a free slot, out of wrap-up', async () => {
    await db.fixtures.contact();
    const idle3 = await db.fixtures.agent({
      lines: ['sales'],
      idleSince: minutesAgo(3),
      capacity: { voice: 1, chat: 3 },
      used: { chat: 2 },
    });
    const idle5 = await db.fixtures.agent({
      lines: ['sales', 'service'],
      idleSince: minutesAgo(5),
      skills: { billing: 7 },
    });
    const wrappedUp = await db.fixtures.agent({
      lines: ['sales'],
      idleSince: minutesAgo(1),
      wrapUpUntil: minutesAgo(0.5),
    });
    await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(9), state: 'away' });
    await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(9), state: 'offline' });
    await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(9), connected: false });
    await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(9), used: { voice: 1 } });
    await db.fixtures.agent({
      lines: ['sales'],
      idleSince: minutesAgo(9),
      wrapUpUntil: new Date(Date.now() + 60_000),
    });
    await db.fixtures.agent({ lines: ['service'], idleSince: minutesAgo(9) });
    await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(9), deleted: true });

    const result = await snapshot('sales');
    expect(result.agents.map((a) => a.id)).toEqual([idle5, idle3, wrappedUp]);
    expect(result.agentLimitReached).toBe(false);
    expect(result.agents[0]).toMatchObject({
      lines: ['sales', 'service'],
      skills: { billing: 7 },
      capacity: { voice: 1 },
      state: 'available',
      connected: true,
      wrapUpUntil: null,
      load: { voice: 0 },
    });
    expect(result.agents[1].load).toEqual({ voice: 0, chat: 2 });
    expect(result.sticky).toEqual([]);
  });

  it('reads as many free agents as the contacts could use: 4 per contact, at least 8, at most p_agent_limit', async () => {
    const agents: string[] = [];
    for (let i = 0; i < 14; i++)
      agents.push(await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(100 - i) }));
    await db.fixtures.contact();

    const one = await snapshot('sales');
    expect(one.agents.map((a) => a.id)).toEqual(agents.slice(0, 8));
    expect(one.agentLimitReached).toBe(true);

    expect((await snapshot('sales', 200, 3)).agents.map((a) => a.id)).toEqual(agents.slice(0, 3));

    await db.fixtures.contact();
    await db.fixtures.contact();
    const three = await snapshot('sales'); // 12
    expect(three.agents).toHaveLength(12);
    expect(three.agentLimitReached).toBe(true);

    await db.fixtures.contact();
    const four = await snapshot('sales'); // 16 > 14 free
    expect(four.agents).toHaveLength(14);
    expect(four.agentLimitReached).toBe(false);
  });

  it("the sticky contacts' preferred agents who are signed in but not among the free ones", async () => {
    const busy = await db.fixtures.agent({ lines: ['sales'], used: { voice: 1 } });
    const awayDisconnected = await db.fixtures.agent({ lines: ['sales'], state: 'away', connected: false });
    const offline = await db.fixtures.agent({ lines: ['sales'], state: 'offline' });
    const free = await db.fixtures.agent({ lines: ['sales'] });
    const deleted = await db.fixtures.agent({ lines: ['sales'], used: { voice: 1 }, deleted: true });
    for (const stickyAgentId of [busy, awayDisconnected, offline, free, deleted, busy])
      await db.fixtures.contact({ stickyAgentId });

    const result = await snapshot('sales');
    expect(result.agents.map((a) => a.id)).toEqual([free]);
    expect(result.sticky.map((a) => a.id).sort()).toEqual([busy, awayDisconnected].sort());
    expect(result.sticky.find((a) => a.id === busy)).toMatchObject({
      state: 'available',
      connected: true,
      load: { voice: 1 },
    });
    expect(result.sticky.find((a) => a.id === awayDisconnected)).toMatchObject({
      state: 'away',
      connected: false,
    });
  });

  it("holds the line's advisory lock until the caller's transaction ends: a second pass on the line waits", async () => {
    await db.fixtures.agent({ lines: ['sales'] });
    await db.fixtures.contact();
    const [a, b, c] = [await db.session(), await db.session(), await db.session()];
    try {
      await a.query('BEGIN');
      await snapshot('sales', 200, 800, a);
      expect(await a.query('SHOW synchronous_commit')).toEqual([{ synchronous_commit: 'off' }]);

      await b.query('BEGIN');
      let bDone = false;
      const second = snapshot('sales', 200, 800, b).then((s) => {
        bDone = true;
        return s;
      });
      await db.waitingForLock(b.pid);
      // another line's lock is another key: no wait
      await c.query('BEGIN');
      expect((await snapshot('service', 200, 800, c, LOCK + 1)).contacts).toEqual([]);
      await c.query('COMMIT');
      expect(bDone).toBe(false);

      await a.query('COMMIT');
      expect((await second).contacts).toHaveLength(1);
      await b.query('COMMIT');
      // synchronous_commit was off for that transaction only
      expect(await a.query('SHOW synchronous_commit')).toEqual([{ synchronous_commit: 'on' }]);
    } finally {
      await Promise.all([a.end(), b.end(), c.end()]);
    }
  });
});
