import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_expire_offer (expire_offer.sql): one offer's expiry, applied at most once. */
describe('tether_expire_offer', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const expire = (offerId: string, force = false) =>
    db.query(`SELECT * FROM tether_expire_offer($1, $2)`, [offerId, force]);
  const past = () => new Date(Date.now() - 1000);

  it('a due pending offer: expired, contact queued without the agent, slot freed, the agent set away', async () => {
    const agentId = await db.fixtures.agent();
    const { contactId, offerId } = await db.fixtures.offered(agentId, { line: 'service', expiresAt: past() });
    expect(await expire(offerId)).toEqual([
      { offer_id: offerId, contact_id: contactId, agent_id: agentId, line: 'service', set_away: true },
    ]);
    expect(await db.one(`SELECT state, end_reason FROM offers WHERE id = $1`, [offerId])).toEqual({
      state: 'expired',
      end_reason: 'expired',
    });
    expect(
      await db.one(`SELECT status, excluded_agent_ids FROM contacts WHERE id = $1`, [contactId]),
    ).toEqual({
      status: 'queued',
      excluded_agent_ids: [agentId],
    });
    expect(await db.one(`SELECT used FROM agent_slots WHERE agent_id = $1`, [agentId])).toEqual({ used: 0 });
    expect(await db.one(`SELECT state FROM agent_presence WHERE agent_id = $1`, [agentId])).toEqual({
      state: 'away',
    });

    expect(await expire(offerId)).toEqual([]); // once only
  });

  it('an agent who is not available stays as they are (set_away false)', async () => {
    const agentId = await db.fixtures.agent({ state: 'offline' });
    const { offerId } = await db.fixtures.offered(agentId, { expiresAt: past() });
    expect(await expire(offerId)).toMatchObject([{ offer_id: offerId, set_away: false }]);
    expect(await db.one(`SELECT state FROM agent_presence WHERE agent_id = $1`, [agentId])).toEqual({
      state: 'offline',
    });
  });

  it('nothing for an offer not due yet, unless forced; nothing for an unknown or ended offer', async () => {
    const agentId = await db.fixtures.agent({ capacity: { voice: 2 } });
    const { offerId } = await db.fixtures.offered(agentId);
    expect(await expire(offerId)).toEqual([]);
    expect(await db.one(`SELECT state FROM offers WHERE id = $1`, [offerId])).toEqual({ state: 'pending' });
    expect(await expire(offerId, true)).toMatchObject([{ offer_id: offerId }]);

    expect(await expire('00000000-0000-0000-0000-000000000000', true)).toEqual([]);
    const accepted = await db.fixtures.offered(agentId);
    expect(
      await db.one(`SELECT outcome FROM tether_accept_offer($1, $2, NULL)`, [agentId, accepted.offerId]),
    ).toEqual({ outcome: 'accepted' });
    expect(await expire(accepted.offerId, true)).toEqual([]);
    expect(await db.one(`SELECT state FROM offers WHERE id = $1`, [accepted.offerId])).toEqual({
      state: 'accepted',
    });
  });
});
