import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

interface ForceAssignRow {
  outcome: string;
  offer_id: string | null;
  expires_at: Date | null;
  line: string | null;
  channel: string | null;
  status: string | null;
  revoked_offer_id: string | null;
  revoked_agent_id: string | null;
}

/** tether_force_assign (force_assign.sql): a supervisor offers a waiting contact to the agent they chose. */
describe('tether_force_assign', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const assign = async (contactId: string, agentId: string, timeout = 20): Promise<ForceAssignRow> =>
    (await db.one<ForceAssignRow>(`SELECT * FROM tether_force_assign($1, $2, $3, $4)`, [
      contactId,
      agentId,
      timeout,
      'assigned by admin:spec',
    ]))!;
  const slots = (agentId: string) =>
    db.query(`SELECT channel, used FROM agent_slots WHERE agent_id = $1 ORDER BY channel`, [agentId]);

  it('offers a queued contact to the chosen agent: contact offered, slot claimed, pending offer with reason supervisor', async () => {
    const agentId = await db.fixtures.agent({ state: 'away', capacity: { voice: 1 } });
    const contactId = await db.fixtures.contact({ line: 'service' });

    const row = await assign(contactId, agentId, 15);
    expect(row).toMatchObject({
      outcome: 'offered',
      line: 'service',
      channel: 'voice',
      revoked_offer_id: null,
      revoked_agent_id: null,
    });
    const offer = await db.one<{
      agent_id: string;
      state: string;
      reason: string;
      trace: string;
      ttl: number;
    }>(
      `SELECT agent_id, state, reason, trace, round(extract(epoch FROM expires_at - created_at))::int AS ttl
         FROM offers WHERE id = $1`,
      [row.offer_id],
    );
    expect(offer).toEqual({
      agent_id: agentId,
      state: 'pending',
      reason: 'supervisor',
      trace: 'assigned by admin:spec',
      ttl: 15,
    });
    expect(await db.one(`SELECT status, offered_agent_id FROM contacts WHERE id = $1`, [contactId])).toEqual({
      status: 'offered',
      offered_agent_id: agentId,
    });
    expect(await slots(agentId)).toEqual([{ channel: 'voice', used: 1 }]);
  });

  it("revokes another agent's pending offer first (not excluded), then offers to the chosen agent", async () => {
    const first = await db.fixtures.agent();
    const chosen = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(first);

    const row = await assign(contactId, chosen);
    expect(row).toMatchObject({ outcome: 'offered', revoked_offer_id: offerId, revoked_agent_id: first });
    expect(await db.one(`SELECT state, end_reason FROM offers WHERE id = $1`, [offerId])).toEqual({
      state: 'revoked',
      end_reason: 'supervisor_assigned',
    });
    expect(
      await db.one(`SELECT status, offered_agent_id, excluded_agent_ids FROM contacts WHERE id = $1`, [
        contactId,
      ]),
    ).toEqual({ status: 'offered', offered_agent_id: chosen, excluded_agent_ids: [] });
    expect(await slots(first)).toEqual([{ channel: 'voice', used: 0 }]);
    expect(await slots(chosen)).toEqual([{ channel: 'voice', used: 1 }]);
    expect(
      await db.query(`SELECT agent_id FROM offers WHERE contact_id = $1 AND state = 'pending'`, [contactId]),
    ).toEqual([{ agent_id: chosen }]);
  });

  it('refuses, changing nothing: unknown contact or agent, connected or ended contact, offered to this agent already', async () => {
    const agentId = await db.fixtures.agent({ capacity: { voice: 2 } });
    const other = await db.fixtures.agent();
    const nobody = '00000000-0000-0000-0000-000000000000';
    const queued = await db.fixtures.contact();

    expect((await assign(nobody, agentId)).outcome).toBe('contact_not_found');
    expect((await assign(queued, nobody)).outcome).toBe('agent_not_found');
    const removed = await db.fixtures.agent({ deleted: true });
    expect((await assign(queued, removed)).outcome).toBe('agent_not_found');

    const connected = await db.fixtures.connected(other);
    expect(await assign(connected, agentId)).toMatchObject({ outcome: 'not_waiting', status: 'connected' });
    const ended = await db.fixtures.contact({ status: 'ended', endedAt: new Date(), endReason: 'completed' });
    expect(await assign(ended, agentId)).toMatchObject({ outcome: 'not_waiting', status: 'ended' });

    const mine = await db.fixtures.offered(agentId);
    expect(await assign(mine.contactId, agentId)).toMatchObject({
      outcome: 'already_offered',
      offer_id: mine.offerId,
    });
    expect(await slots(agentId)).toEqual([{ channel: 'voice', used: 1 }]);
    expect(await db.one(`SELECT status FROM contacts WHERE id = $1`, [queued])).toEqual({ status: 'queued' });
    expect(await db.query(`SELECT 1 FROM offers WHERE contact_id = $1`, [queued])).toEqual([]);
  });

  it('refuses an agent who is offline, has no live connection, or has no free slot on the channel; keeps the other offer', async () => {
    const offline = await db.fixtures.agent({ state: 'offline' });
    const dropped = await db.fixtures.agent({ connected: false });
    const full = await db.fixtures.agent({ capacity: { voice: 1 }, used: { voice: 1 } });
    const voiceOnly = await db.fixtures.agent({ capacity: { voice: 1 } });
    const holder = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(holder);
    const chat = await db.fixtures.contact({ channel: 'chat' });

    expect((await assign(contactId, offline)).outcome).toBe('agent_offline');
    expect((await assign(contactId, dropped)).outcome).toBe('agent_offline');
    expect(await assign(contactId, full)).toMatchObject({ outcome: 'no_capacity', line: 'sales' });
    expect((await assign(chat, voiceOnly)).outcome).toBe('no_capacity');
    // the holder's offer stands: a refusal revokes nothing
    expect(await db.one(`SELECT state FROM offers WHERE id = $1`, [offerId])).toEqual({ state: 'pending' });
    expect(await slots(holder)).toEqual([{ channel: 'voice', used: 1 }]);
    // positive control: the same contact to an agent with room
    expect((await assign(contactId, voiceOnly)).outcome).toBe('offered');
  });

  it('a contact transferred to another line is offered on the line it waits on', async () => {
    const from = await db.fixtures.agent();
    const to = await db.fixtures.agent();
    const contactId = await db.fixtures.contact({ line: 'sales' });
    const [{ id: transferId }] = await db.query<{ id: string }>(
      `INSERT INTO transfers (contact_id, target_kind, mode, from_agent_id, from_line, target_line, state)
       VALUES ($1, 'line', 'cold', $2, 'sales', 'service', 'pending') RETURNING id`,
      [contactId, from],
    );
    await db.query(`UPDATE contacts SET transfer_id = $2 WHERE id = $1`, [contactId, transferId]);
    const row = await assign(contactId, to);
    expect(row).toMatchObject({ outcome: 'offered', line: 'service' });
    expect(await db.one(`SELECT line FROM offers WHERE id = $1`, [row.offer_id])).toEqual({
      line: 'service',
    });
  });
});
