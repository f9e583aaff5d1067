import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * The contact event history's triggers (contact_events_contacts.sql, _offers, _notices) against the real PostgreSQL with the real migrations and
 * SQL sources: the lifecycle functions themselves change the rows, the triggers write the history.
 */
describe('contact_events triggers', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface EventRow {
    kind: string;
    agent_id: string | null;
    offer_id: string | null;
    line: string | null;
    customer_id: string | null;
    detail: Record<string, unknown> | null;
  }
  const events = (contactId: string) =>
    db.query<EventRow>(
      `SELECT kind, agent_id, offer_id, line, customer_id, detail FROM contact_events WHERE contact_id = $1 ORDER BY id`,
      [contactId],
    );
  const kinds = async (contactId: string) => (await events(contactId)).map((e) => e.kind);

  it('an arrival is queued; received with the caller gone first it is queued and abandoned', async () => {
    const live = await db.one<{ contact_id: string }>(
      `SELECT contact_id FROM tether_receive_call('service', $1, 'anonymous', NULL, NULL, NULL, 0, '{}', 1, 'arrived', 'hung up')`,
      [db.fixtures.callId()],
    );
    const [queued] = await events(live!.contact_id);
    expect(queued).toMatchObject({ kind: 'queued', line: 'service', agent_id: null });
    expect(queued.customer_id).toEqual(expect.any(String));

    const callId = db.fixtures.callId();
    await db.query(`SELECT * FROM tether_remember_hangup('service', 'voice', $1, 600)`, [callId]);
    const gone = await db.one<{ contact_id: string }>(
      `SELECT contact_id FROM tether_receive_call('service', $1, 'anonymous', NULL, NULL, NULL, 0, '{}', 1, 'arrived', 'hung up')`,
      [callId],
    );
    expect(await kinds(gone!.contact_id)).toEqual(['queued', 'abandoned']);
  });

  it('offered, rejected, offered again, accepted (connected), completed: each with its agent and offer', async () => {
    const anna = await db.fixtures.agent();
    const boris = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(anna);
    await db.query(`SELECT * FROM tether_reject_offer($1, $2, 'busy')`, [anna, offerId]);
    await db.query(`UPDATE contacts SET status = 'offered', offered_agent_id = $2 WHERE id = $1`, [
      contactId,
      boris,
    ]);
    const second = await db.fixtures.offer({ contactId, agentId: boris });
    await db.query(`UPDATE agent_slots SET used = used + 1 WHERE agent_id = $1`, [boris]);
    const [accepted] = await db.query<{ outcome: string }>(
      `SELECT outcome FROM tether_accept_offer($1, $2, NULL)`,
      [boris, second],
    );
    expect(accepted.outcome).toBe('accepted');
    const [completed] = await db.query<{ outcome: string }>(
      `SELECT outcome FROM tether_complete_contact($1, $2, 'resolved', NULL, 0, NULL, NULL)`,
      [boris, contactId],
    );
    expect(completed.outcome).toBe('completed');

    const history = await events(contactId);
    expect(history.map((e) => [e.kind, e.agent_id, e.offer_id])).toEqual([
      ['queued', null, null],
      ['offered', anna, offerId],
      ['rejected', anna, offerId],
      ['offered', boris, second],
      ['connected', boris, null],
      ['ended', boris, null],
      ['completed', boris, null],
    ]);
    expect(history[1].detail).toEqual({ reason: 'skills' });
    expect(history[2].detail).toEqual({ reason: 'busy' });
    expect(history[4].detail).toEqual({ reason: 'skills', first: true });
    expect(history[6].detail).toEqual({ resolution: 'resolved' });
  });

  it('an offer that expires, and an abandon during an offer (the hang-up revokes it): the offered agent on both, the abandon saying it came during the offer', async () => {
    const anna = await db.fixtures.agent();
    const expiring = await db.fixtures.offered(anna, { expiresAt: new Date(Date.now() - 1000) });
    await db.query(`SELECT * FROM tether_expire_offer($1, false)`, [expiring.offerId]);
    expect(await kinds(expiring.contactId)).toEqual(['queued', 'offered', 'expired']);

    const boris = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(boris);
    // what ContactLifecycleService.hangUp does for an offered contact
    await db.query(
      `UPDATE offers SET state = 'revoked', end_reason = 'caller_hung_up', resolved_at = now() WHERE id = $1`,
      [offerId],
    );
    await db.query(
      `UPDATE contacts SET status = 'ended', end_reason = 'abandoned', ended_at = now(), offered_agent_id = NULL
        WHERE id = $1`,
      [contactId],
    );
    const history = await events(contactId);
    expect(history.map((e) => [e.kind, e.agent_id])).toEqual([
      ['queued', null],
      ['offered', boris],
      ['revoked', boris],
      ['abandoned', boris],
    ]);
    expect(history[2].detail).toEqual({ reason: 'caller_hung_up' });
    expect(history[3].detail).toEqual({ from: 'offered', reason: 'abandoned' });
  });

  it('a transfer to a line is one transferred event by the transferring agent, naming the target line', async () => {
    const anna = await db.fixtures.agent();
    const contactId = await db.fixtures.connected(anna, { line: 'sales' });
    const [transfer] = await db.query<{ outcome: string }>(
      `SELECT outcome FROM tether_transfer_contact($1, $2, 'line', NULL, 'service', 'cold', NULL, 'to service', now() + interval '1 minute')`,
      [anna, contactId],
    );
    expect(transfer.outcome).toBe('transferred');
    const history = await events(contactId);
    // the fixture writes the accepted offer as a row of its own: its insert is an 'offered'
    expect(history.map((e) => e.kind)).toEqual(['queued', 'connected', 'offered', 'transferred']);
    expect(history[3]).toMatchObject({ agent_id: anna, line: 'sales' });
    expect(history[3].detail).toMatchObject({ toLine: 'service', targetKind: 'line', mode: 'cold' });
  });

  /** a contact's events with every column, times and ids as what they are relative to the contact */
  const fullHistory = (contactId: string) =>
    db.query<Record<string, unknown>>(
      `SELECT e.kind, e.line, e.channel, e.agent_id, e.offer_id IS NOT NULL AS has_offer, e.detail,
              e.customer_id = c.customer_id AS customer, e.case_id IS NOT DISTINCT FROM c.case_id AS "case",
              e.incident_id IS NOT DISTINCT FROM c.incident_id AS incident,
              CASE e.kind WHEN 'queued' THEN e.at = c.enqueued_at WHEN 'connected' THEN e.at = c.connected_at
                          WHEN 'ended' THEN e.at = c.ended_at WHEN 'completed' THEN e.at = c.completed_at
                          WHEN 'offered' THEN e.at = o.created_at END AS at_of_the_step
         FROM contact_events e JOIN contacts c ON c.id = e.contact_id LEFT JOIN offers o ON o.id = e.offer_id
        WHERE e.contact_id = $1 ORDER BY e.id`,
      [contactId],
    );

  it("the hot path writes its own events (receive, accept, complete): the triggers' rows, once each", async () => {
    // through the functions: tether_receive_call, tether_accept_offer and tether_complete_contact write their events
    // themselves and set tether.history around their change; the pass's offer is the offers trigger's
    const anna = await db.fixtures.agent();
    const incident = await db.one<{ id: string }>(
      `INSERT INTO incidents (title, affected_phone_prefixes, announcement) VALUES ('outage', ARRAY['+1555777'], 'we know')
       RETURNING id`,
    );
    const received = await db.one<{ outcome: string; contact_id: string }>(
      `SELECT * FROM tether_receive_call('sales', $1, '+15557770001', '+15557770001', NULL, NULL, 0, '{}', 1, 'arrived', 'hung up')`,
      [db.fixtures.callId()],
    );
    expect(received!.outcome).toBe('created');
    const viaFunctions = received!.contact_id;
    const [offer] = await db.query<{ offer_id: string }>(
      `SELECT offer_id FROM tether_commit_offers('sales', ARRAY[$1]::uuid[], ARRAY[$2]::uuid[], ARRAY['sticky'],
         ARRAY['why'], ARRAY['offered'], 20, 'routing.sticky-wait', ARRAY[]::text[], ARRAY[]::timestamptz[], NULL, NULL)`,
      [viaFunctions, anna],
    );
    expect(
      (await db.query(`SELECT * FROM tether_accept_offer($1, $2, NULL)`, [anna, offer.offer_id]))[0],
    ).toMatchObject({ outcome: 'accepted' });
    expect(
      (
        await db.query(
          `SELECT * FROM tether_complete_contact($1, $2, 'follow_up', 'n', 0, 'billing', NULL)`,
          [anna, viaFunctions],
        )
      )[0],
    ).toMatchObject({ outcome: 'completed' });

    // the same steps as plain statements, so only the triggers write: the control
    const boris = await db.fixtures.agent();
    const customer = await db.one<{ customer_id: string; case_id: string }>(
      `SELECT customer_id, (SELECT case_id FROM contacts WHERE id = $1) AS case_id FROM contacts WHERE id = $1`,
      [viaFunctions],
    );
    const viaTriggers = (await db.one<{ id: string }>(
      `INSERT INTO contacts (external_id, channel, line, customer_id, from_address, status, incident_id)
       VALUES ($1, 'voice', 'sales', $2, '+15557770001', 'queued', $3) RETURNING id`,
      [db.fixtures.callId(), customer!.customer_id, incident!.id],
    ))!.id;
    await db.query(
      `UPDATE contacts SET status = 'offered', offered_agent_id = $2, offered_at = now() WHERE id = $1`,
      [viaTriggers, boris],
    );
    await db.query(
      `INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at)
       VALUES ($1, $2, 'sales', 'voice', 'pending', 'sticky', 'why', clock_timestamp(), now() + interval '20 s')`,
      [viaTriggers, boris],
    );
    await db.query(`UPDATE offers SET state = 'accepted', resolved_at = now() WHERE contact_id = $1`, [
      viaTriggers,
    ]);
    await db.query(
      `UPDATE contacts SET status = 'connected', agent_id = $2, offered_agent_id = NULL, work_open = true,
              connected_at = now() WHERE id = $1`,
      [viaTriggers, boris],
    );
    await db.query(
      `UPDATE contacts SET case_id = $2, work_open = false, resolution = 'follow_up', completed_at = now(),
              status = 'ended', ended_at = now(), end_reason = 'completed' WHERE id = $1`,
      [viaTriggers, customer!.case_id],
    );

    const direct = await fullHistory(viaFunctions);
    const triggered = await fullHistory(viaTriggers);
    const withoutAgent = (rows: Record<string, unknown>[]) =>
      rows.map(({ agent_id: _agent, ...rest }) => rest);
    expect(direct.map((e) => e.kind)).toEqual(['queued', 'offered', 'connected', 'ended', 'completed']);
    expect(withoutAgent(direct)).toEqual(withoutAgent(triggered));
    expect(direct.map((e) => e.agent_id)).toEqual([null, anna, anna, anna, anna]);
    expect(triggered.map((e) => e.agent_id)).toEqual([null, boris, boris, boris, boris]);
    // every column is the contact's own at its step (customer, incident; the case the completion opened from the
    // completion on), every time the step's own
    // (an offer's event carries none of the contact's columns: they are on its 'queued')
    for (const event of direct.filter((e) => e.kind !== 'offered'))
      expect(event).toMatchObject({ customer: true, incident: true, at_of_the_step: true });
    expect(direct[1]).toMatchObject({ customer: null, at_of_the_step: true });
    expect(direct.map((e) => e.case)).toEqual([false, false, false, true, true]);
    expect(direct[2].detail).toEqual({ reason: 'sticky', first: true });
    expect(direct[3].detail).toEqual({ from: 'connected', reason: 'completed' });
    expect(direct[4].detail).toEqual({ resolution: 'follow_up' });
    const [{ case_id }] = await db.query<{ case_id: string | null }>(
      `SELECT case_id FROM contacts WHERE id = $1`,
      [viaFunctions],
    );
    expect(case_id).toEqual(expect.any(String));
  });

  it('the flag a hot-path function sets does not outlive its statement: a later change in the same transaction is recorded', async () => {
    const anna = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(anna);
    const tx = await db.session();
    try {
      await tx.query('BEGIN');
      await tx.query(`SELECT * FROM tether_accept_offer($1, $2, NULL)`, [anna, offerId]);
      const [{ flag }] = await tx.query<{ flag: string | null }>(
        `SELECT current_setting('tether.history', true) AS flag`,
      );
      expect(flag ?? '').toBe('');
      // the caller hangs up in the same transaction: the trigger records it
      await tx.query(
        `UPDATE contacts SET status = 'ended', ended_at = now(), end_reason = 'caller_hung_up' WHERE id = $1`,
        [contactId],
      );
      await tx.query('COMMIT');
    } finally {
      await tx.end();
    }
    expect(await kinds(contactId)).toEqual(['queued', 'offered', 'connected', 'ended']);
  });

  it('a change the history does not record (a trace line) writes nothing', async () => {
    const contactId = await db.fixtures.contact();
    await db.query(`UPDATE contacts SET routing_trace = routing_trace || tether_trace('x') WHERE id = $1`, [
      contactId,
    ]);
    expect(await kinds(contactId)).toEqual(['queued']);
  });

  it('an incident notice is a notified event for the customer and the incident', async () => {
    const customerId = await db.fixtures.customer();
    const incident = await db.one<{ id: string }>(
      `INSERT INTO incidents (title, announcement) VALUES ('outage', 'we know') RETURNING id`,
    );
    const update = await db.one<{ id: string }>(
      `INSERT INTO incident_updates (incident_id, kind, status, notify) VALUES ($1, 'opened', 'open', true) RETURNING id`,
      [incident!.id],
    );
    await db.query(
      `INSERT INTO incident_notices (update_id, customer_id, incident_id, channel) VALUES ($1, $2, $3, 'sms')`,
      [update!.id, customerId, incident!.id],
    );
    expect(
      await db.query(
        `SELECT kind, contact_id, incident_id, detail->>'channel' AS channel FROM contact_events WHERE customer_id = $1`,
        [customerId],
      ),
    ).toEqual([{ kind: 'notified', contact_id: null, incident_id: incident!.id, channel: 'sms' }]);
  });
});
