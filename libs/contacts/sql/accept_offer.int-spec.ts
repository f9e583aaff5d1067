import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_accept_offer (accept_offer.sql): an agent accepts an offer; the callback outbox row and its job. */
describe('tether_accept_offer', () => {
  let db: SqlTestDatabase;
  const CALLBACK = 'http://127.0.0.1:9/telephony/events';

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Accepted {
    outcome: string;
    contact_id: string | null;
    line: string | null;
    state: string | null;
    end_reason: string | null;
    callback_id: string | null;
    callback_body: Record<string, unknown> | null;
  }
  const accept = async (agentId: string, offerId: string, callbackUrl: string | null = CALLBACK) =>
    (await db.one<Accepted>(
      `SELECT outcome, contact_id, line, state, end_reason, callback_id, callback_body FROM tether_accept_offer($1, $2, $3)`,
      [agentId, offerId, callbackUrl],
    ))!;
  const callbackJobs = (callbackId: string) =>
    db.query<{ payload: unknown; due_in: number }>(
      `SELECT payload, extract(epoch FROM run_at - now())::float AS due_in FROM scheduled_jobs
        WHERE kind = 'telephony.callback' AND dedupe_key = $1`,
      [callbackId],
    );

  it("'accepted': contact connected to the agent, offer accepted, the callback in the outbox with its job due in 5 s", async () => {
    const agentId = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(agentId, {
      line: 'service',
      externalId: 'CA-accept-1',
    });

    const result = await accept(agentId, offerId);
    const body = { event: 'contact.connected', callId: 'CA-accept-1', contactId, agentId };
    expect(result).toMatchObject({
      outcome: 'accepted',
      contact_id: contactId,
      line: 'service',
      state: 'accepted',
      end_reason: null,
      callback_body: body,
    });
    expect(
      await db.one(
        `SELECT status, agent_id, offered_agent_id, work_open, connected_at IS NOT NULL AS connected,
                           routing_trace -> -1 ->> 'text' AS last FROM contacts WHERE id = $1`,
        [contactId],
      ),
    ).toEqual({
      status: 'connected',
      agent_id: agentId,
      offered_agent_id: null,
      work_open: true,
      connected: true,
      last: `accepted by ${agentId}`,
    });
    expect(
      await db.one(`SELECT state, resolved_at IS NOT NULL AS resolved FROM offers WHERE id = $1`, [offerId]),
    ).toEqual({
      state: 'accepted',
      resolved: true,
    });
    expect(
      await db.one(`SELECT url, event, body, status FROM outbound_webhooks WHERE id = $1`, [
        result.callback_id,
      ]),
    ).toEqual({ url: CALLBACK, event: 'contact.connected', body, status: 'pending' });
    const [job, ...more] = await callbackJobs(result.callback_id!);
    expect(more).toEqual([]);
    expect(job.payload).toEqual({ id: result.callback_id });
    expect(job.due_in).toBeCloseTo(5, 0); // now() + 5 s, now() being the accept's transaction start
  });

  it("'accepted' without a callback URL writes no outbox row and no job", async () => {
    const agentId = await db.fixtures.agent();
    const { offerId } = await db.fixtures.offered(agentId);
    const [webhooks, jobs] = [
      await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM outbound_webhooks`),
      await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM scheduled_jobs`),
    ];
    expect(await accept(agentId, offerId, null)).toMatchObject({
      outcome: 'accepted',
      callback_id: null,
      callback_body: null,
    });
    expect(await db.one(`SELECT count(*)::int AS n FROM outbound_webhooks`)).toEqual(webhooks);
    expect(await db.one(`SELECT count(*)::int AS n FROM scheduled_jobs`)).toEqual(jobs);
  });

  it("'already_accepted' for a repeated accept, with nothing written again", async () => {
    const agentId = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(agentId);
    const first = await accept(agentId, offerId);
    expect(await accept(agentId, offerId)).toEqual({
      outcome: 'already_accepted',
      contact_id: contactId,
      line: 'sales',
      state: 'accepted',
      end_reason: null,
      callback_id: null,
      callback_body: null,
    });
    expect(
      await db.one(`SELECT count(*)::int AS n FROM outbound_webhooks WHERE body ->> 'contactId' = $1`, [
        contactId,
      ]),
    ).toEqual({
      n: 1,
    });
    expect(await callbackJobs(first.callback_id!)).toHaveLength(1);
  });

  it("'not_found' for an unknown offer or another agent's, which stays pending", async () => {
    const agentId = await db.fixtures.agent();
    const other = await db.fixtures.agent();
    const { offerId } = await db.fixtures.offered(agentId);
    const notFound = {
      outcome: 'not_found',
      contact_id: null,
      line: null,
      state: null,
      end_reason: null,
      callback_id: null,
      callback_body: null,
    };
    expect(await accept(agentId, '00000000-0000-0000-0000-000000000000')).toEqual(notFound);
    expect(await accept(other, offerId)).toEqual(notFound);
    expect(await db.one(`SELECT state FROM offers WHERE id = $1`, [offerId])).toEqual({ state: 'pending' });
  });

  it("'expired' for a pending offer past its expiry, 'ended' with how for one that ended", async () => {
    const agentId = await db.fixtures.agent({ capacity: { voice: 3 } });
    const late = await db.fixtures.offered(agentId, { expiresAt: new Date(Date.now() - 1000) });
    expect(await accept(agentId, late.offerId)).toMatchObject({
      outcome: 'expired',
      contact_id: late.contactId,
      state: 'pending',
    });
    expect(await db.one(`SELECT status FROM contacts WHERE id = $1`, [late.contactId])).toEqual({
      status: 'offered',
    });

    const rejected = await db.fixtures.offered(agentId);
    await db.query(`SELECT tether_end_offer($1, 'rejected', 'not now', true)`, [rejected.offerId]);
    expect(await accept(agentId, rejected.offerId)).toMatchObject({
      outcome: 'ended',
      contact_id: rejected.contactId,
      line: 'sales',
      state: 'rejected',
      end_reason: 'not now',
      callback_id: null,
    });
  });

  it("'contact_moved' for a pending offer whose contact is no longer offered to this agent", async () => {
    const agentId = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(agentId);
    await db.query(
      `UPDATE contacts SET status = 'ended', offered_agent_id = NULL, end_reason = 'hangup' WHERE id = $1`,
      [contactId],
    );
    expect(await accept(agentId, offerId)).toMatchObject({
      outcome: 'contact_moved',
      contact_id: contactId,
      state: 'pending',
    });
    expect(await db.one(`SELECT state FROM offers WHERE id = $1`, [offerId])).toEqual({ state: 'pending' });
  });

  it('two accepts of one offer at once: one is accepted, the other waits for its locks and is already_accepted', async () => {
    const agentId = await db.fixtures.agent();
    const { offerId } = await db.fixtures.offered(agentId);
    const [a, b] = [await db.session(), await db.session()];
    try {
      await a.query('BEGIN');
      const [first] = await a.query<Accepted>(
        `SELECT outcome, contact_id, line, state, end_reason, callback_id, callback_body FROM tether_accept_offer($1, $2, $3)`,
        [agentId, offerId, CALLBACK],
      );
      const second = b.query<Accepted>(
        `SELECT outcome, contact_id, line, state, end_reason, callback_id, callback_body FROM tether_accept_offer($1, $2, $3)`,
        [agentId, offerId, CALLBACK],
      );
      await db.waitingForLock(b.pid);
      await a.query('COMMIT');
      expect(first.outcome).toBe('accepted');
      expect((await second)[0].outcome).toBe('already_accepted');
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("'accepted' of a case's customer by someone else: the owner's notice in the same statement; none for the owner", async () => {
    const owner = await db.fixtures.agent();
    const other = await db.fixtures.agent();
    const customerId = await db.fixtures.customer();
    const [{ id: caseId }] = await db.query<{ id: string }>(
      `INSERT INTO cases (customer_id, line, subject, owner_id) VALUES ($1, 'sales', 'x', $2) RETURNING id`,
      [customerId, owner],
    );
    const acceptAs = async (agentId: string) => {
      const { contactId, offerId } = await db.fixtures.offered(agentId, { customerId });
      await db.query(`UPDATE contacts SET case_id = $2 WHERE id = $1`, [contactId, caseId]);
      return (await db.one<{ outcome: string; case_notice_id: string | null; case_owner_id: string | null }>(
        `SELECT outcome, case_notice_id, case_owner_id FROM tether_accept_offer($1, $2, NULL)`,
        [agentId, offerId],
      ))!;
    };
    const byOther = await acceptAs(other);
    expect(byOther).toMatchObject({ outcome: 'accepted', case_owner_id: owner });
    expect(byOther.case_notice_id).toMatch(/^\d+$/);
    expect(
      await db.one(`SELECT agent_id, case_id, kind, by_agent_id FROM case_notices WHERE id = $1`, [
        byOther.case_notice_id,
      ]),
    ).toEqual({ agent_id: owner, case_id: caseId, kind: 'customer_called', by_agent_id: other });
    expect(await acceptAs(owner)).toMatchObject({
      outcome: 'accepted',
      case_notice_id: null,
      case_owner_id: null,
    });
  });
});
