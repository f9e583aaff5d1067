import type { RoutingSnapshot, SnapshotAgent } from '@tether/contacts';
import { RoutingEngine } from '@tether/routing';
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

  // the engine's bound by default, as the dispatcher passes it
  const snapshot = async (
    line: string,
    {
      contactLimit = 200,
      perContact = RoutingEngine.READY_AGENTS_PER_CONTACT,
      minimum = RoutingEngine.MIN_READY_AGENTS,
      all = false,
    } = {},
    on: SqlQuery = db,
    lock = LOCK,
  ) =>
    (
      await on.query<{ s: RoutingSnapshot }>(`SELECT tether_routing_snapshot($1, $2, $3, $4, $5, $6) AS s`, [
        line,
        lock,
        contactLimit,
        perContact,
        minimum,
        all,
      ])
    )[0].s;
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
  const ids = (agents: SnapshotAgent[]) => agents.map((a) => a.id);

  it("no waiting contact: the database's time and the line's rules version, nothing else", async () => {
    await db.fixtures.agent({ lines: ['sales'] });
    const version = await db.fixtures.rules('sales', {});
    const before = Date.now();
    const result = await snapshot('sales');
    expect({ ...result, now: typeof result.now }).toEqual({
      now: 'string',
      version,
      agents: [],
      contacts: [],
      agentsComplete: true,
      contactLimitReached: false,
    });
    expect(Math.abs(new Date(result.now).getTime() - before)).toBeLessThan(5_000);
  });

  it('the waiting contacts in queue order, at most p_contact_limit, with their relations as facts', async () => {
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
      lastAgentId: agentId,
      lastAgentAt: at(-3600),
      excludedAgentIds: [agentId],
    });
    await db.fixtures.contact({ enqueuedAt: at(1), status: 'ended' });
    await db.fixtures.contact({ enqueuedAt: at(1), line: 'service' });

    // in queue order even with a related agent waiting (the DISTINCT aggregate beside it must not reorder them)
    const all = await snapshot('sales');
    expect(all.contacts.map((c) => c.id)).toEqual([urgent, early, late]);
    expect(all.contactLimitReached).toBe(false);
    expect(all.contacts[0]).toMatchObject({
      channel: 'voice',
      priority: 5,
      requiredSkills: { billing: 3 },
      lastAgentId: null,
      lastAgentAt: null,
      excludedAgentIds: [],
    });
    expect(new Date(all.contacts[0].enqueuedAt).getTime()).toBe(at(40).getTime());
    expect(all.contacts[1]).toMatchObject({ lastAgentId: agentId, excludedAgentIds: [agentId] });
    expect(new Date(all.contacts[1].lastAgentAt!).getTime()).toBe(at(-3600).getTime());

    const limited = await snapshot('sales', { contactLimit: 2 });
    expect(limited.contacts.map((c) => c.id)).toEqual([urgent, early]);
    expect(limited.contactLimitReached).toBe(true);
  });

  it("each contact's plan (the stages a line rule gave it at arrival), null without one", async () => {
    const plain = await db.fixtures.contact({ enqueuedAt: new Date(Date.UTC(2026, 0, 1)) });
    const staged = await db.fixtures.contact({ enqueuedAt: new Date(Date.UTC(2026, 0, 2)) });
    const plan = { rule: 'billing', stages: [{ untilSeconds: 30, preferred: true }, { untilSeconds: null }] };
    await db.query(`UPDATE contacts SET routing_plan = $2 WHERE id = $1`, [staged, JSON.stringify(plan)]);
    const result = await snapshot('sales');
    expect(result.contacts.map((c) => [c.id, c.plan])).toEqual([
      [plain, null],
      [staged, plan],
    ]);
  });

  it('a contact redirected at arrival (contacts.routed_line) waits on that line, not on the line it called', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const own = await db.fixtures.contact({ enqueuedAt: at(20), line: 'service' });
    const redirected = await db.fixtures.contact({ enqueuedAt: at(10), line: 'sales', priority: 1 });
    const stays = await db.fixtures.contact({ enqueuedAt: at(5), line: 'sales' });
    await db.query(
      `UPDATE contacts SET routed_line = 'service', redirect_reason = 'open case' WHERE id = $1`,
      [redirected],
    );
    expect((await snapshot('service')).contacts.map((c) => c.id)).toEqual([redirected, own]);
    expect((await snapshot('sales')).contacts.map((c) => c.id)).toEqual([stays]);
    // the position the webhook answers counts the queue it waits on
    const ahead = async (id: string) =>
      (await db.query<{ ahead: number }>(`SELECT ahead FROM tether_call_row($1)`, [id]))[0].ahead;
    expect(await ahead(own)).toBe(1);
    expect(await ahead(redirected)).toBe(0);
    expect(await ahead(stays)).toBe(0);
  });

  it('the ready agents of the line, longest idle first: available, connected, a free slot, out of wrap-up', async () => {
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
    expect(ids(result.agents).sort()).toEqual([idle5, idle3, wrappedUp].sort());
    expect(result.agentsComplete).toBe(true);
    expect(result.agents.find((a) => a.id === idle5)).toMatchObject({
      lines: ['sales', 'service'],
      skills: { billing: 7 },
      capacity: { voice: 1 },
      state: 'available',
      connected: true,
      wrapUpUntil: null,
      load: { voice: 0 },
    });
    expect(result.agents.find((a) => a.id === idle3)!.load).toEqual({ voice: 0, chat: 2 });
  });

  it("reads as many ready agents as the engine's bound says, longest idle first, or all when asked", async () => {
    const agents: string[] = [];
    for (let i = 0; i < 14; i++)
      agents.push(await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(100 - i) }));
    await db.fixtures.contact();

    // the SQL applies the engine's formula: RoutingEngine.readyAgentsToRead(waiting contacts)
    const one = await snapshot('sales');
    expect(RoutingEngine.readyAgentsToRead(1)).toBe(8);
    expect(ids(one.agents).sort()).toEqual(agents.slice(0, RoutingEngine.readyAgentsToRead(1)).sort());
    expect(one.agentsComplete).toBe(false);
    expect(ids((await snapshot('sales', { minimum: 3, perContact: 1 })).agents).sort()).toEqual(
      agents.slice(0, 3).sort(),
    );
    const all = await snapshot('sales', { all: true });
    expect(all.agents).toHaveLength(14);
    expect(all.agentsComplete).toBe(true);

    await db.fixtures.contact();
    await db.fixtures.contact();
    const three = await snapshot('sales');
    expect(three.agents).toHaveLength(RoutingEngine.readyAgentsToRead(3));
    expect(three.agentsComplete).toBe(false);

    await db.fixtures.contact();
    const four = await snapshot('sales'); // readyAgentsToRead(4) = 16 > 14 ready
    expect(RoutingEngine.readyAgentsToRead(4)).toBeGreaterThan(14);
    expect(four.agents).toHaveLength(14);
    expect(four.agentsComplete).toBe(true);
  });

  it('the same longest-idle ready agents when those idle longer are of other lines, busy, offline, deleted or not connected', async () => {
    // longer idle than every sales agent, and none ready for sales: more than four times the 8 the pass reads, so the
    // first candidates (agent_presence alone) run out and the line's agents are read whole
    const noise = async (i: number) => {
      const idleSince = minutesAgo(500 - i);
      switch (i % 5) {
        case 0:
          return db.fixtures.agent({ lines: ['service'], idleSince });
        case 1:
          return db.fixtures.agent({ lines: ['sales'], idleSince, used: { voice: 1 } });
        case 2:
          return db.fixtures.agent({ lines: ['sales'], idleSince, connected: false });
        case 3:
          return db.fixtures.agent({ lines: ['sales'], idleSince, deleted: true });
        default:
          return db.fixtures.agent({
            lines: ['sales'],
            idleSince,
            wrapUpUntil: new Date(Date.now() + 60_000),
          });
      }
    };
    for (let i = 0; i < 10; i++) await noise(i);
    const ready: string[] = [];
    for (let i = 0; i < 30; i++)
      ready.push(await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(100 - i) }));
    await db.fixtures.contact();
    // 8 not ready among the first 32 candidates (those in wrap-up are not candidates): the checks find the 8
    expect(ids((await snapshot('sales')).agents).sort()).toEqual(ready.slice(0, 8).sort());

    for (let i = 10; i < 40; i++) await noise(i);
    // 40 not ready ahead of them: the candidates run out, and the whole read gives the same 8
    const past = await snapshot('sales');
    expect(ids(past.agents).sort()).toEqual(ready.slice(0, 8).sort());
    expect(past.agentsComplete).toBe(false);
    // reading one: 4 candidates, then 32, all of them not ready; then the whole read
    expect(ids((await snapshot('sales', { minimum: 1, perContact: 1 })).agents)).toEqual([ready[0]]);
    // and when fewer than the bound are ready, all of them, complete
    const few = await snapshot('sales', { minimum: 40 });
    expect(ids(few.agents).sort()).toEqual([...ready].sort());
    expect(few.agentsComplete).toBe(true);
  });

  it('every agent a waiting contact is related to, whatever their state; deleted ones are gone', async () => {
    const busy = await db.fixtures.agent({ lines: ['sales'], used: { voice: 1 } });
    const awayDisconnected = await db.fixtures.agent({ lines: ['sales'], state: 'away', connected: false });
    const offline = await db.fixtures.agent({ lines: ['sales'], state: 'offline', connected: false });
    const free = await db.fixtures.agent({ lines: ['sales'] });
    const deleted = await db.fixtures.agent({ lines: ['sales'], used: { voice: 1 }, deleted: true });
    for (const lastAgentId of [busy, awayDisconnected, offline, free, deleted, busy])
      await db.fixtures.contact({ lastAgentId });

    const result = await snapshot('sales');
    expect(ids(result.agents).sort()).toEqual([busy, awayDisconnected, offline, free].sort());
    expect(result.agents.find((a) => a.id === busy)).toMatchObject({
      state: 'available',
      connected: true,
      load: { voice: 1 },
    });
    expect(result.agents.find((a) => a.id === awayDisconnected)).toMatchObject({
      state: 'away',
      connected: false,
    });
    expect(result.agents.find((a) => a.id === offline)).toMatchObject({ state: 'offline' });
  });

  it("a contact's open case: its owner now and the owner's deputy (whatever their state), and the case team's ready members", async () => {
    // the longest idle ready agents fill the cap first, so what follows is read because of the case
    for (let i = 0; i < 3; i++) await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(60) });
    const deputy = await db.fixtures.agent({ lines: ['sales'], state: 'offline', connected: false });
    const owner = await db.fixtures.agent({ lines: ['sales'], state: 'away', connected: false });
    const mate = await db.fixtures.agent({ lines: ['sales'], idleSince: minutesAgo(1) });
    const mateBusy = await db.fixtures.agent({
      lines: ['sales'],
      used: { voice: 1 },
      idleSince: minutesAgo(1),
    });
    const mateOffline = await db.fixtures.agent({ lines: ['sales'], state: 'offline', connected: false });
    await db.query(`UPDATE agents SET deputy_id = $2 WHERE id = $1`, [owner, deputy]);
    await db.query(`UPDATE agents SET team = 'billing' WHERE id = ANY ($1::uuid[])`, [
      [mate, mateBusy, mateOffline],
    ]);
    const customerId = await db.fixtures.customer();
    const [{ id: caseId }] = await db.query<{ id: string }>(
      `INSERT INTO cases (customer_id, line, subject, owner_id, team) VALUES ($1, 'sales', 'x', $2, 'billing') RETURNING id`,
      [customerId, owner],
    );
    const contactId = await db.fixtures.contact({ customerId });
    await db.query(`UPDATE contacts SET case_id = $2 WHERE id = $1`, [contactId, caseId]);

    const result = await snapshot('sales', { perContact: 1, minimum: 1 });
    expect(result.contacts[0].case).toEqual({
      id: caseId,
      ownerId: owner,
      deputyId: deputy,
      team: 'billing',
    });
    const read = ids(result.agents);
    expect(read).toEqual(expect.arrayContaining([owner, deputy, mate, mateBusy]));
    expect(read).not.toContain(mateOffline);
    expect(result.agents.find((a) => a.id === mate)).toMatchObject({ team: 'billing' });

    // a resolved case is no relation; a handover counts at once
    await db.query(`UPDATE cases SET status = 'resolved' WHERE id = $1`, [caseId]);
    expect((await snapshot('sales')).contacts[0].case).toBeNull();
    await db.query(`UPDATE cases SET status = 'open', owner_id = $2 WHERE id = $1`, [caseId, mate]);
    expect((await snapshot('sales')).contacts[0].case).toMatchObject({ ownerId: mate, deputyId: null });
  });

  it("holds the line's advisory lock until the caller's transaction ends: a second pass on the line waits", async () => {
    await db.fixtures.agent({ lines: ['sales'] });
    await db.fixtures.contact();
    const [a, b, c] = [await db.session(), await db.session(), await db.session()];
    try {
      await a.query('BEGIN');
      await snapshot('sales', {}, a);
      expect(await a.query('SHOW synchronous_commit')).toEqual([{ synchronous_commit: 'off' }]);

      await b.query('BEGIN');
      let bDone = false;
      const second = snapshot('sales', {}, b).then((s) => {
        bDone = true;
        return s;
      });
      await db.waitingForLock(b.pid);
      // another line's lock is another key: no wait
      await c.query('BEGIN');
      expect((await snapshot('service', {}, c, LOCK + 1)).contacts).toEqual([]);
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
