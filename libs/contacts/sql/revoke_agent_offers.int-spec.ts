import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_revoke_agent_offers (revoke_agent_offers.sql): an agent's pending offers taken back. */
describe('tether_revoke_agent_offers', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const revoke = (agentId: string, reason = 'disconnected') =>
    db.query<{ offer_id: string; contact_id: string; line: string }>(
      `SELECT * FROM tether_revoke_agent_offers($1, $2)`,
      [agentId, reason],
    );

  it('revokes every pending offer of the agent, contacts back in the queue (not excluded), slots freed', async () => {
    const agentId = await db.fixtures.agent({ capacity: { voice: 1, chat: 2 } });
    const other = await db.fixtures.agent();
    const voice = await db.fixtures.offered(agentId, { line: 'sales' });
    const chat = await db.fixtures.offered(agentId, { line: 'service', channel: 'chat' });
    const connected = await db.fixtures.connected(agentId, { channel: 'chat' });
    const othersOffer = await db.fixtures.offered(other);

    const revoked = await revoke(agentId, 'signed_off');
    expect(revoked.map((row) => [row.offer_id, row.contact_id, row.line]).sort()).toEqual(
      [
        [voice.offerId, voice.contactId, 'sales'],
        [chat.offerId, chat.contactId, 'service'],
      ].sort(),
    );
    expect(
      await db.query(`SELECT DISTINCT state, end_reason FROM offers WHERE id = ANY($1)`, [
        [voice.offerId, chat.offerId],
      ]),
    ).toEqual([{ state: 'revoked', end_reason: 'signed_off' }]);
    expect(
      await db.query(
        `SELECT DISTINCT status, offered_agent_id, excluded_agent_ids FROM contacts WHERE id = ANY($1)`,
        [[voice.contactId, chat.contactId]],
      ),
    ).toEqual([{ status: 'queued', offered_agent_id: null, excluded_agent_ids: [] }]);
    expect(
      await db.query(`SELECT channel, used FROM agent_slots WHERE agent_id = $1 ORDER BY channel`, [agentId]),
    ).toEqual([
      { channel: 'chat', used: 1 }, // the connected chat keeps its slot
      { channel: 'voice', used: 0 },
    ]);
    expect(await db.one(`SELECT status FROM contacts WHERE id = $1`, [connected])).toEqual({
      status: 'connected',
    });
    expect(await db.one(`SELECT state FROM offers WHERE id = $1`, [othersOffer.offerId])).toEqual({
      state: 'pending',
    });
  });

  it('nothing when the agent has no pending offer', async () => {
    const agentId = await db.fixtures.agent();
    expect(await revoke(agentId)).toEqual([]);
    expect(await revoke('00000000-0000-0000-0000-000000000000')).toEqual([]);
  });
});
