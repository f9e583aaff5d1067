import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * The callback functions on the real PostgreSQL: tether_confirm_callback (confirm_callback.sql), the dial on accept
 * (accept_offer.sql), tether_dial_result (dial_result.sql), tether_outbound_contact (outbound_contact.sql), the
 * routing snapshot's window (routing_snapshot.sql) and the completion of a callback (complete_contact.sql).
 */
describe('callbacks in SQL', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const confirm = async (callId: string, options: { windowStart?: Date; number?: string } = {}) =>
    (await db.one<{
      outcome: string;
      contact_id: string | null;
      callback_id: string | null;
      owner_agent_id: string | null;
    }>(
      `SELECT * FROM tether_confirm_callback('sales', $1, $2, now() + interval '1 hour', $3, 2, 30, 'confirmed')`,
      [callId, options.windowStart ?? null, options.number ?? null],
    ))!;
  const callIdOf = async (contactId: string) =>
    (await db.one<{ external_id: string }>(`SELECT external_id FROM contacts WHERE id = $1`, [contactId]))!
      .external_id;
  const callback = (id: string) =>
    db.one<{
      state: string;
      attempts: number;
      caller_left_at: Date | null;
      number: string;
      last_result: string;
    }>(`SELECT state, attempts, caller_left_at, number, last_result FROM callbacks WHERE id = $1`, [id]);
  const accept = (agentId: string, offerId: string) =>
    db.one<{ outcome: string; callback_body: Record<string, unknown> | null }>(
      `SELECT outcome, callback_body FROM tether_accept_offer($1, $2, 'http://platform/cb')`,
      [agentId, offerId],
    );
  const used = async (agentId: string) =>
    (await db.one<{ used: number }>(
      `SELECT used FROM agent_slots WHERE agent_id = $1 AND channel = 'voice'`,
      [agentId],
    ))!.used;

  it('confirms once per contact, aimed at the last agent, and keeps the place (enqueued_at untouched)', async () => {
    const last = await db.fixtures.agent({ lines: ['sales'], state: 'away' });
    const contactId = await db.fixtures.contact({
      lastAgentId: last,
      enqueuedAt: new Date(Date.now() - 60_000),
    });
    const before = await db.one<{ enqueued_at: Date }>(`SELECT enqueued_at FROM contacts WHERE id = $1`, [
      contactId,
    ]);
    const callId = await callIdOf(contactId);
    const first = await confirm(callId);
    expect(first).toMatchObject({ outcome: 'confirmed', contact_id: contactId, owner_agent_id: last });
    expect(await confirm(callId)).toMatchObject({ outcome: 'exists', callback_id: first.callback_id });
    expect(
      await db.one(`SELECT enqueued_at, callback_id, not_before FROM contacts WHERE id = $1`, [contactId]),
    ).toEqual({ enqueued_at: before!.enqueued_at, callback_id: first.callback_id, not_before: null });
    expect(await callback(first.callback_id!)).toMatchObject({ state: 'waiting', number: '+15550000000' });
    expect((await confirm('no-such-call')).outcome).toBe('not_found');
    const ended = await db.fixtures.contact({ status: 'ended', endReason: 'abandoned' });
    expect((await confirm(await callIdOf(ended))).outcome).toBe('not_waiting');
  });

  it('a window in the future keeps the contact out of the routing snapshot until then', async () => {
    await db.fixtures.clear();
    await db.fixtures.agent({ lines: ['sales'] });
    const contactId = await db.fixtures.contact();
    const confirmed = await confirm(await callIdOf(contactId), {
      windowStart: new Date(Date.now() + 60_000),
    });
    expect(confirmed.outcome).toBe('confirmed');
    const waitingIds = async () => {
      const snapshot = await db.one<{ s: { contacts: { id: string }[] } }>(
        `SELECT tether_routing_snapshot('sales', 42, 100, 4, 16, false) AS s`,
      );
      return snapshot!.s.contacts.map((c) => c.id);
    };
    expect(await waitingIds()).toEqual([]);
    await db.query(`UPDATE contacts SET not_before = now() - interval '1 second' WHERE id = $1`, [contactId]);
    expect(await waitingIds()).toEqual([contactId]);
  });

  it('after the hang-up, the accept dials; a failed dial releases the agent and waits, the last one ends it', async () => {
    const agent = await db.fixtures.agent({ lines: ['sales'] });
    const { contactId, offerId } = await db.fixtures.offered(agent);
    const callId = await callIdOf(contactId);
    const confirmed = await confirm(callId, { number: '+15557654321' });
    await db.query(`UPDATE callbacks SET caller_left_at = now() WHERE id = $1`, [confirmed.callback_id]);

    expect(await accept(agent, offerId)).toEqual({
      outcome: 'accepted',
      callback_body: {
        event: 'contact.dial',
        callId,
        contactId,
        agentId: agent,
        number: '+15557654321',
        attempt: 1,
        callbackId: confirmed.callback_id,
      },
    });
    expect((await callback(confirmed.callback_id!))!.state).toBe('dialing');

    const failed = await db.one<{ outcome: string; retry_at: Date; attempts: number }>(
      `SELECT * FROM tether_dial_result('sales', $1, 'no_answer', 'no answer')`,
      [callId],
    );
    expect(failed).toMatchObject({ outcome: 'retry', attempts: 1 });
    expect(failed!.retry_at.getTime()).toBeGreaterThan(Date.now() + 25_000);
    expect(await used(agent)).toBe(0);
    expect(
      await db.one(`SELECT status, agent_id, work_open FROM contacts WHERE id = $1`, [contactId]),
    ).toEqual({
      status: 'queued',
      agent_id: null,
      work_open: false,
    });
    expect(await db.one(`SELECT state, end_reason FROM offers WHERE id = $1`, [offerId])).toEqual({
      state: 'dial_failed',
      end_reason: 'no_answer',
    });
    // a second result for the same attempt: nothing is being dialled
    expect(
      (await db.one<{ outcome: string }>(`SELECT outcome FROM tether_dial_result('sales', $1, 'busy', 'x')`, [
        callId,
      ]))!.outcome,
    ).toBe('not_dialing');

    // the second (last) attempt
    await db.query(
      `UPDATE contacts SET status = 'offered', offered_agent_id = $2, not_before = NULL WHERE id = $1`,
      [contactId, agent],
    );
    const second = await db.fixtures.offer({ contactId, agentId: agent });
    await db.query(`UPDATE agent_slots SET used = used + 1 WHERE agent_id = $1 AND channel = 'voice'`, [
      agent,
    ]);
    expect((await accept(agent, second))!.callback_body).toMatchObject({ attempt: 2 });
    expect(
      await db.one(`SELECT outcome, attempts FROM tether_dial_result('sales', $1, 'busy', 'busy')`, [callId]),
    ).toEqual({ outcome: 'ended', attempts: 2 });
    expect(await callback(confirmed.callback_id!)).toMatchObject({ state: 'failed', last_result: 'busy' });
    expect(await db.one(`SELECT status, end_reason FROM contacts WHERE id = $1`, [contactId])).toEqual({
      status: 'ended',
      end_reason: 'busy',
    });
    expect(await used(agent)).toBe(0);
  });

  it('a caller still on the line is bridged (contact.connected); completing it completes the callback', async () => {
    const agent = await db.fixtures.agent({ lines: ['sales'] });
    const { contactId, offerId } = await db.fixtures.offered(agent);
    const confirmed = await confirm(await callIdOf(contactId));
    expect((await accept(agent, offerId))!.callback_body).toMatchObject({ event: 'contact.connected' });
    expect((await callback(confirmed.callback_id!))!.state).toBe('connected');
    await db.query(`SELECT * FROM tether_complete_contact($1, $2, 'resolved', NULL, 0, NULL, NULL)`, [
      agent,
      contactId,
    ]);
    expect((await callback(confirmed.callback_id!))!.state).toBe('completed');
  });

  it('an agent dials (a free voice slot needed) or schedules a callback aimed at the case owner', async () => {
    const agent = await db.fixtures.agent({ lines: ['sales'] });
    const customer = await db.fixtures.customer({ phone: '+15551112222' });
    const dial = () =>
      db.one<{ outcome: string; contact_id: string; call_id: string; outbox_body: Record<string, unknown> }>(
        `SELECT * FROM tether_outbound_contact($1, 'sales', $2, NULL, NULL, 'dial', NULL, NULL, NULL, 1, 0,
                                               'http://platform/cb', 'dialled')`,
        [agent, customer],
      );
    const placed = await dial();
    expect(placed).toMatchObject({
      outcome: 'created',
      call_id: `tether-out-${placed!.contact_id}`,
      outbox_body: { event: 'contact.dial', number: '+15551112222', agentId: agent, attempt: 1 },
    });
    expect(
      await db.one(`SELECT status, direction, agent_id, work_open FROM contacts WHERE id = $1`, [
        placed!.contact_id,
      ]),
    ).toEqual({ status: 'connected', direction: 'outbound', agent_id: agent, work_open: true });
    expect(await used(agent)).toBe(1);
    expect((await dial())!.outcome).toBe('busy');
    expect(
      await db.query(`SELECT kind FROM scheduled_jobs WHERE payload->>'id' = $1`, [
        (await db.one<{ id: string }>(`SELECT id FROM outbound_webhooks WHERE body->>'contactId' = $1`, [
          placed!.contact_id,
        ]))!.id,
      ]),
    ).toEqual([{ kind: 'telephony.callback' }]);

    const owner = await db.fixtures.agent({ lines: ['sales'] });
    const caseId = (await db.one<{ id: string }>(
      `INSERT INTO cases (customer_id, line, subject, owner_id) VALUES ($1, 'sales', 'modem', $2) RETURNING id`,
      [customer, owner],
    ))!.id;
    const scheduled = await db.one<{ outcome: string; contact_id: string; owner_agent_id: string }>(
      `SELECT * FROM tether_outbound_contact($1, 'sales', $2, NULL, NULL, 'callback', now() + interval '1 hour',
                                             now() + interval '2 hours', 'price', 3, 60, NULL, 'scheduled')`,
      [agent, customer],
    );
    expect(scheduled).toMatchObject({ outcome: 'created', owner_agent_id: owner });
    expect(
      await db.one(
        `SELECT c.status, c.case_id, c.sticky_agent_id, c.not_before > now() AS later, b.requested_by,
                b.caller_left_at IS NOT NULL AS left_
           FROM contacts c JOIN callbacks b ON b.id = c.callback_id WHERE c.id = $1`,
        [scheduled!.contact_id],
      ),
    ).toEqual({
      status: 'queued',
      case_id: caseId,
      sticky_agent_id: owner,
      later: true,
      requested_by: 'agent',
      left_: true,
    });
    const nobody = await db.fixtures.customer();
    expect(
      (await db.one<{ outcome: string }>(
        `SELECT outcome FROM tether_outbound_contact($1, 'sales', $2, NULL, NULL, 'callback', NULL, now(), NULL, 3, 60,
                                                     NULL, 'x')`,
        [agent, nobody],
      ))!.outcome,
    ).toBe('no_number');
  });
});
