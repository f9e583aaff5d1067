import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_reject_offer (reject_offer.sql): an agent declines an offer. */
describe('tether_reject_offer', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const reject = async (agentId: string, offerId: string, reason = 'busy') =>
    (await db.one<Record<string, unknown>>(`SELECT * FROM tether_reject_offer($1, $2, $3)`, [
      agentId,
      offerId,
      reason,
    ]))!;

  it("'rejected': the offer ends, the contact is queued again without this agent, the slot is free", async () => {
    const agentId = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(agentId, { line: 'presales' });
    expect(await reject(agentId, offerId, 'on a break')).toEqual({
      outcome: 'rejected',
      contact_id: contactId,
      line: 'presales',
      state: 'rejected',
      end_reason: 'on a break',
    });
    expect(await db.one(`SELECT state, end_reason FROM offers WHERE id = $1`, [offerId])).toEqual({
      state: 'rejected',
      end_reason: 'on a break',
    });
    expect(
      await db.one(`SELECT status, offered_agent_id, excluded_agent_ids FROM contacts WHERE id = $1`, [
        contactId,
      ]),
    ).toEqual({ status: 'queued', offered_agent_id: null, excluded_agent_ids: [agentId] });
    expect(await db.one(`SELECT used FROM agent_slots WHERE agent_id = $1`, [agentId])).toEqual({ used: 0 });
  });

  it("'not_found' for an unknown offer or another agent's; 'ended' for one no longer pending", async () => {
    const agentId = await db.fixtures.agent();
    const other = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(agentId);
    const notFound = { outcome: 'not_found', contact_id: null, line: null, state: null, end_reason: null };
    expect(await reject(agentId, '00000000-0000-0000-0000-000000000000')).toEqual(notFound);
    expect(await reject(other, offerId)).toEqual(notFound);

    await reject(agentId, offerId, 'first');
    expect(await reject(agentId, offerId, 'second')).toEqual({
      outcome: 'ended',
      contact_id: contactId,
      line: 'sales',
      state: 'rejected',
      end_reason: 'first',
    });
    expect(await db.one(`SELECT used FROM agent_slots WHERE agent_id = $1`, [agentId])).toEqual({ used: 0 });
  });
});
