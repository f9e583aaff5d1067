import { createSqlTestDatabase, SqlQuery, SqlTestDatabase } from '@tether/testing';

/** tether_commit_offers (commit_offers.sql): a routing pass's decisions, committed with conditional updates. */
describe('tether_commit_offers', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Decision {
    contactId: string;
    agentId: string;
    reason?: string;
    trace?: string;
  }
  interface Made {
    offer_id: string;
    agent_id: string;
    contact_id: string;
    expires_at: Date;
  }
  const commit = (
    line: string,
    decisions: Decision[],
    holds: { key: string; until: Date }[] = [],
    on: SqlQuery = db,
    timeoutSeconds = 20,
  ) =>
    on.query<Made>(
      `SELECT * FROM tether_commit_offers($1, $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7, $8,
                                          $9::text[], $10::timestamptz[])`,
      [
        line,
        decisions.map((d) => d.contactId),
        decisions.map((d) => d.agentId),
        decisions.map((d) => d.reason ?? 'skills'),
        decisions.map((d) => d.trace ?? 'longest idle'),
        // the contact's trace entry, worded by the caller (ContactTrace.offered)
        decisions.map((d) => `offered to ${d.agentId}: ${d.trace ?? 'longest idle'}`),
        timeoutSeconds,
        'routing.sticky-wait',
        holds.map((h) => h.key),
        holds.map((h) => h.until),
      ],
    );
  const contact = (id: string) =>
    db.one<{
      status: string;
      offered_agent_id: string | null;
      offered_at: Date | null;
      routing_trace: { text: string }[];
    }>(`SELECT status, offered_agent_id, offered_at, routing_trace FROM contacts WHERE id = $1`, [id]);
  const used = async (agentId: string, channel = 'voice') =>
    (await db.one<{ used: number }>(`SELECT used FROM agent_slots WHERE agent_id = $1 AND channel = $2`, [
      agentId,
      channel,
    ]))!.used;
  const offersOf = (contactId: string) =>
    db.query<{ state: string; agent_id: string; seconds: number }>(
      `SELECT state, agent_id, extract(epoch FROM expires_at - created_at)::float AS seconds FROM offers WHERE contact_id = $1`,
      [contactId],
    );

  it('offers the contact: contact offered, slot taken, a pending offer; ids only come back (no personal data)', async () => {
    const agentId = await db.fixtures.agent();
    const customerId = await db.fixtures.customer({ name: 'Ada', externalRef: 'CRM-1' });
    const contactId = await db.fixtures.contact({ customerId });

    const [made, ...more] = await commit('sales', [
      { contactId, agentId, reason: 'sticky', trace: 'last agent is free' },
    ]);
    expect(more).toEqual([]);
    expect(Object.keys(made).sort()).toEqual(['agent_id', 'contact_id', 'expires_at', 'offer_id']);
    expect(made).toMatchObject({ agent_id: agentId, contact_id: contactId });
    expect(
      await db.one(
        `SELECT reason, trace, abs(extract(epoch FROM expires_at - $2::timestamptz)) < 0.001 AS same_expiry
         FROM offers WHERE id = $1`,
        [made.offer_id, made.expires_at],
      ),
    ).toEqual({ reason: 'sticky', trace: 'last agent is free', same_expiry: true });

    const row = (await contact(contactId))!;
    expect(row).toMatchObject({ status: 'offered', offered_agent_id: agentId });
    expect(row.offered_at).not.toBeNull();
    expect(row.routing_trace.map((entry) => entry.text)).toEqual([
      `offered to ${agentId}: last agent is free`,
    ]);
    expect(await used(agentId)).toBe(1);
    const [offer, ...others] = await offersOf(contactId);
    expect(others).toEqual([]);
    expect(offer).toMatchObject({ state: 'pending', agent_id: agentId });
    expect(offer.seconds).toBeCloseTo(20, 2); // expires_at and created_at are two clock_timestamp() calls
    expect(
      await db.one(`SELECT id = $1 AS same FROM offers WHERE contact_id = $2`, [made.offer_id, contactId]),
    ).toEqual({ same: true });
  });

  it('drops a decision whose contact is no longer queued, or whose agent has no free slot left', async () => {
    const agentId = await db.fixtures.agent();
    const full = await db.fixtures.agent({ used: { voice: 1 } });
    const gone = await db.fixtures.contact({ status: 'ended' });
    const waiting = await db.fixtures.contact();
    const served = await db.fixtures.contact();

    const made = await commit('sales', [
      { contactId: gone, agentId },
      { contactId: waiting, agentId: full },
      { contactId: served, agentId },
    ]);
    expect(made.map((m) => m.contact_id)).toEqual([served]);
    expect(await offersOf(gone)).toEqual([]);
    expect(await offersOf(waiting)).toEqual([]);
    expect(await contact(waiting)).toMatchObject({
      status: 'queued',
      offered_agent_id: null,
      offered_at: null,
    });
    expect(await used(full)).toBe(1);
    expect(await used(agentId)).toBe(1);
  });

  it("another line's pass holding the agent's last slot makes this decision wait, then drop: never double-booked", async () => {
    const agentId = await db.fixtures.agent({ lines: ['sales', 'service'] });
    const onSales = await db.fixtures.contact({ line: 'sales' });
    const onService = await db.fixtures.contact({ line: 'service' });
    const [a, b] = [await db.session(), await db.session()];
    try {
      await a.query('BEGIN');
      expect(await commit('sales', [{ contactId: onSales, agentId }], [], a)).toHaveLength(1);
      const racing = commit('service', [{ contactId: onService, agentId }], [], b);
      await db.waitingForLock(b.pid);
      await a.query('COMMIT');
      expect(await racing).toEqual([]);
      expect(await contact(onService)).toMatchObject({ status: 'queued', offered_agent_id: null });
      expect(await used(agentId)).toBe(1);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("schedules the pass's sticky holds once per key, even without an offer", async () => {
    const until = new Date('2030-01-01T00:00:30.000Z');
    const later = new Date('2030-01-01T00:01:00.000Z');
    const holds = [
      { key: `c1@${until.getTime()}`, until },
      { key: `c2@${later.getTime()}`, until: later },
      { key: `c1@${until.getTime()}`, until },
    ];
    expect(await commit('presales', [], holds)).toEqual([]);
    expect(await commit('presales', [], holds.slice(0, 1))).toEqual([]);
    expect(
      await db.query(
        `SELECT dedupe_key, payload, run_at FROM scheduled_jobs WHERE kind = 'routing.sticky-wait' AND dedupe_key LIKE 'c_@%'
          ORDER BY dedupe_key`,
      ),
    ).toEqual([
      { dedupe_key: `c1@${until.getTime()}`, payload: { line: 'presales' }, run_at: until },
      { dedupe_key: `c2@${later.getTime()}`, payload: { line: 'presales' }, run_at: later },
    ]);
  });

  it('makes several offers in one call, each with its own timeout from the moment it is made', async () => {
    const [x, y] = [await db.fixtures.agent(), await db.fixtures.agent({ capacity: { voice: 1, chat: 2 } })];
    const first = await db.fixtures.contact();
    const chat = await db.fixtures.contact({ channel: 'chat' });
    const made = await commit(
      'sales',
      [
        { contactId: first, agentId: x },
        { contactId: chat, agentId: y },
      ],
      [],
      db,
      7,
    );
    expect(made.map((m) => [m.contact_id, m.agent_id])).toEqual([
      [first, x],
      [chat, y],
    ]);
    expect(await db.one(`SELECT channel FROM offers WHERE id = $1`, [made[1].offer_id])).toEqual({
      channel: 'chat',
    });
    expect(await used(y, 'chat')).toBe(1);
    expect(await used(y, 'voice')).toBe(0);
    expect((await offersOf(chat))[0].seconds).toBeCloseTo(7, 2);
  });

  const commitWith = (decisions: Decision[], channelTimeouts: object | null, cross: object | null) =>
    db.query<Made>(
      `SELECT * FROM tether_commit_offers($1, $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7, $8,
                                          $9::text[], $10::timestamptz[], $11::jsonb, $12::jsonb)`,
      [
        'service',
        decisions.map((d) => d.contactId),
        decisions.map((d) => d.agentId),
        decisions.map(() => 'skills'),
        decisions.map(() => 'longest idle'),
        decisions.map((d) => `offered to ${d.agentId}`),
        20,
        'routing.sticky-wait',
        [],
        [],
        channelTimeouts === null ? null : JSON.stringify(channelTimeouts),
        cross === null ? null : JSON.stringify(cross),
      ],
    );

  it("an offer expires after its channel's timeout when the line sets one, else the line's", async () => {
    const agentId = await db.fixtures.agent({ capacity: { voice: 1, email: 2 } });
    const mail = await db.fixtures.contact({ channel: 'email', line: 'service' });
    const call = await db.fixtures.contact({ line: 'service' });
    const made = await commitWith(
      [
        { contactId: mail, agentId },
        { contactId: call, agentId },
      ],
      { email: 3600 },
      null,
    );
    expect(made).toHaveLength(2);
    expect((await offersOf(mail))[0].seconds).toBeCloseTo(3600, 0);
    expect((await offersOf(call))[0].seconds).toBeCloseTo(20, 0);
  });

  it("the line's cross-channel rule is checked against the agent's slots as they are now", async () => {
    const rule = { blocks: { voice: ['chat'] } };
    // holding a call (another line's pass gave it a moment ago): the chat is not offered, the contact stays queued
    const onCall = await db.fixtures.agent({ capacity: { voice: 1, chat: 3 }, used: { voice: 1 } });
    const chat = await db.fixtures.contact({ channel: 'chat', line: 'service' });
    expect(await commitWith([{ contactId: chat, agentId: onCall }], null, rule)).toEqual([]);
    expect(await contact(chat)).toMatchObject({ status: 'queued', offered_agent_id: null });
    expect(await used(onCall, 'chat')).toBe(0);
    // the same agent without a rule (positive control): offered
    expect(await commitWith([{ contactId: chat, agentId: onCall }], null, null)).toHaveLength(1);
    expect(await used(onCall, 'chat')).toBe(1);
    // a weighted total: a call (3) beside a chat (1) exceeds 3
    const chatting = await db.fixtures.agent({ capacity: { voice: 1, chat: 3 }, used: { chat: 1 } });
    const call = await db.fixtures.contact({ line: 'service' });
    expect(
      await commitWith([{ contactId: call, agentId: chatting }], null, {
        weights: { voice: 3 },
        maxWeight: 3,
      }),
    ).toEqual([]);
    expect(
      await commitWith([{ contactId: call, agentId: chatting }], null, {
        weights: { voice: 3 },
        maxWeight: 4,
      }),
    ).toHaveLength(1);
  });

  it('tether_cross_channel_allows: blocks, weights (unnamed 1, 0 never held back), no rule', async () => {
    const allows = async (rule: object | null, load: object, channel: string) =>
      (await db.one<{ ok: boolean }>(`SELECT tether_cross_channel_allows($1::jsonb, $2::jsonb, $3) AS ok`, [
        rule === null ? null : JSON.stringify(rule),
        JSON.stringify(load),
        channel,
      ]))!.ok;
    expect(await allows(null, { voice: 1 }, 'chat')).toBe(true);
    expect(await allows({ blocks: { voice: ['chat'] } }, { voice: 1 }, 'chat')).toBe(false);
    expect(await allows({ blocks: { voice: ['chat'] } }, { voice: 0, chat: 2 }, 'chat')).toBe(true);
    expect(await allows({ blocks: { voice: ['chat'] } }, { chat: 2 }, 'voice')).toBe(true);
    expect(await allows({ weights: { voice: 3 }, maxWeight: 4 }, { chat: 1 }, 'voice')).toBe(true);
    expect(await allows({ weights: { voice: 3 }, maxWeight: 4 }, { chat: 2 }, 'voice')).toBe(false);
    expect(await allows({ weights: { email: 0 }, maxWeight: 1 }, { chat: 5 }, 'email')).toBe(true);
  });
});
