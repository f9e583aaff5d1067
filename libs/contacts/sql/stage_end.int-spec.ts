import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_stage_end (stage_end.sql): a rule's stage end action, applied at most once to a contact still waiting. */
describe('tether_stage_end', () => {
  let db: SqlTestDatabase;
  const CALLBACK = 'http://127.0.0.1:9/telephony';

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Outcome {
    outcome: string;
    contact_id: string | null;
    action: string | null;
    to_line: string | null;
    callback_id: string | null;
    callback_body: Record<string, unknown> | null;
  }
  const stageEnd = (
    contactId: string,
    line = 'sales',
    route: unknown = null,
    url: string | null = CALLBACK,
  ) =>
    db.query<Outcome>(`SELECT * FROM tether_stage_end($1, $2, $3, $4, true, 'the last stage ended')`, [
      contactId,
      line,
      route === null ? null : JSON.stringify(route),
      url,
    ]);
  const waiting = async (
    afterStages: unknown,
    options: { channel?: string; status?: 'queued' | 'ended' } = {},
  ) => {
    const contactId = await db.fixtures.contact({
      line: 'sales',
      channel: options.channel ?? 'voice',
      status: options.status ?? 'queued',
    });
    await db.query(`UPDATE contacts SET routing_plan = $2 WHERE id = $1`, [
      contactId,
      JSON.stringify({ rule: 'r', stages: [{ untilSeconds: 2 }], afterStages }),
    ]);
    return contactId;
  };
  const events = (contactId: string) =>
    db.query<{ kind: string; detail: unknown }>(
      `SELECT kind, detail FROM contact_events WHERE contact_id = $1 AND kind = 'stage_end'`,
      [contactId],
    );

  it("'line': the contact waits on the other line, decided by its route, the IVR told; applied once", async () => {
    const agentId = await db.fixtures.agent();
    const contactId = await waiting({ line: 'service', reason: 'sales is busy' });
    const route = {
      priority: 7,
      requiredSkills: { tech: 2 },
      plan: { rule: 's', stages: [{ untilSeconds: 30, skills: { tech: 5 } }, { untilSeconds: null }] },
      stickyAgentId: agentId,
      lastAgentAt: new Date().toISOString(),
      caseId: null,
      excludedAgentIds: [agentId],
      offerCallback: false,
    };
    const [first] = await stageEnd(contactId, 'sales', route);
    expect(first).toMatchObject({
      outcome: 'applied',
      contact_id: contactId,
      action: 'line',
      to_line: 'service',
    });
    const callId = (
      await db.one<{ external_id: string }>(`SELECT external_id FROM contacts WHERE id = $1`, [contactId])
    )?.external_id;
    expect(first.callback_body).toEqual({
      event: 'contact.redirected',
      callId,
      contactId,
      line: 'service',
      reason: 'sales is busy',
    });
    expect(
      await db.one(
        `SELECT status, line, routed_line, redirect_reason, priority, required_skills, routing_plan, sticky_agent_id,
                excluded_agent_ids, routing_trace -> -1 ->> 'text' AS trace FROM contacts WHERE id = $1`,
        [contactId],
      ),
    ).toEqual({
      status: 'queued',
      line: 'sales',
      routed_line: 'service',
      redirect_reason: 'sales is busy',
      priority: 7,
      required_skills: { tech: 2 },
      routing_plan: route.plan,
      sticky_agent_id: agentId,
      excluded_agent_ids: [agentId],
      trace: 'the last stage ended',
    });
    expect(
      await db.one(`SELECT url, event, body FROM outbound_webhooks WHERE id = $1`, [first.callback_id]),
    ).toEqual({ url: CALLBACK, event: 'contact.redirected', body: first.callback_body });
    expect(
      await db.one(`SELECT kind FROM scheduled_jobs WHERE dedupe_key = $1`, [first.callback_id]),
    ).toEqual({ kind: 'telephony.callback' });
    expect(await events(contactId)).toEqual([
      {
        kind: 'stage_end',
        detail: { action: 'line', fromLine: 'sales', toLine: 'service', reason: 'sales is busy' },
      },
    ]);

    // once: on either line, again
    expect(await stageEnd(contactId, 'sales', route)).toMatchObject([{ outcome: 'moved' }]);
    expect(await stageEnd(contactId, 'service', route)).toMatchObject([{ outcome: 'done' }]);
    expect(await events(contactId)).toHaveLength(1);
  });

  it("'callback': offered (callbackOffered), the plan keeps its stages; 'announcement': keeps waiting", async () => {
    const callback = await waiting({ callback: true, reason: 'we call you back' });
    expect(await stageEnd(callback)).toMatchObject([
      {
        outcome: 'applied',
        action: 'callback',
        callback_body: { event: 'contact.callback_offered', contactId: callback, reason: 'we call you back' },
      },
    ]);
    expect(
      await db.one(`SELECT status, offer_callback, routing_plan FROM contacts WHERE id = $1`, [callback]),
    ).toEqual({
      status: 'queued',
      offer_callback: true,
      routing_plan: { rule: 'r', stages: [{ untilSeconds: 2 }] },
    });

    const announced = await waiting({ announcement: 'All agents are still busy' });
    expect(await stageEnd(announced)).toMatchObject([
      {
        outcome: 'applied',
        action: 'announcement',
        callback_body: {
          event: 'contact.announcement',
          contactId: announced,
          text: 'All agents are still busy',
        },
      },
    ]);
    expect(await db.one(`SELECT status, offer_callback FROM contacts WHERE id = $1`, [announced])).toEqual({
      status: 'queued',
      offer_callback: false,
    });
    expect(await stageEnd(announced)).toMatchObject([{ outcome: 'done' }]);
  });

  it('untouched: an offered, connected or ended contact, one without an action; no callback URL: no outbox row', async () => {
    const agentId = await db.fixtures.agent({ capacity: { voice: 3 } });
    const { contactId: offered } = await db.fixtures.offered(agentId);
    await db.query(`UPDATE contacts SET routing_plan = $2 WHERE id = $1`, [
      offered,
      JSON.stringify({ rule: 'r', stages: [{ untilSeconds: 2 }], afterStages: { callback: true } }),
    ]);
    expect(await stageEnd(offered)).toMatchObject([{ outcome: 'not_waiting' }]);
    expect(await db.one(`SELECT offer_callback FROM contacts WHERE id = $1`, [offered])).toEqual({
      offer_callback: false,
    });
    const ended = await waiting({ callback: true }, { status: 'ended' });
    expect(await stageEnd(ended)).toMatchObject([{ outcome: 'not_waiting' }]);
    expect(await stageEnd('00000000-0000-0000-0000-000000000000')).toMatchObject([
      { outcome: 'not_waiting', contact_id: null },
    ]);
    const plain = await db.fixtures.contact();
    expect(await stageEnd(plain)).toMatchObject([{ outcome: 'done' }]);
    expect(await events(offered)).toEqual([]);

    const before = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM outbound_webhooks`);
    const silent = await waiting({ announcement: 'hold on' });
    expect(await stageEnd(silent, 'sales', null, null)).toMatchObject([
      { outcome: 'applied', callback_id: null, callback_body: null },
    ]);
    expect(await db.one(`SELECT count(*)::int AS n FROM outbound_webhooks`)).toEqual(before);
  });

  it('a messaging contact gets the announcement as an automatic reply (no agent), delivered in order', async () => {
    const contactId = await waiting({ announcement: 'We answer within the hour' }, { channel: 'chat' });
    await db.query(
      `INSERT INTO messages (contact_id, line, channel, direction, seq, text) VALUES ($1, 'sales', 'chat', 'in', 1, 'hi')`,
      [contactId],
    );
    expect(await stageEnd(contactId)).toMatchObject([{ outcome: 'applied', callback_id: null }]);
    expect(
      await db.query(
        `SELECT direction, seq, agent_id, text FROM messages WHERE contact_id = $1 ORDER BY seq`,
        [contactId],
      ),
    ).toEqual([
      { direction: 'in', seq: 1, agent_id: null, text: 'hi' },
      { direction: 'out', seq: 2, agent_id: null, text: 'We answer within the hour' },
    ]);
    expect(
      await db.one(`SELECT payload FROM scheduled_jobs WHERE kind = 'channel.deliver' AND dedupe_key = $1`, [
        contactId,
      ]),
    ).toEqual({ payload: { contactId } });
  });

  it('two instances at the boundary at once: one applies, the other waits for the row and finds it done', async () => {
    const contactId = await waiting({ callback: true });
    const [a, b] = [await db.session(), await db.session()];
    try {
      await a.query('BEGIN');
      const sql = `SELECT outcome FROM tether_stage_end($1, 'sales', NULL, NULL, false, 't')`;
      const [first] = await a.query<{ outcome: string }>(sql, [contactId]);
      const second = b.query<{ outcome: string }>(sql, [contactId]);
      await db.waitingForLock(b.pid);
      await a.query('COMMIT');
      expect(first.outcome).toBe('applied');
      expect((await second)[0].outcome).toBe('done');
      expect(await events(contactId)).toHaveLength(1);
    } finally {
      await a.end();
      await b.end();
    }
  });
});
