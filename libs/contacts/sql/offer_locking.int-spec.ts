import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * The two steps every offer transition is built from: tether_lock_offer (lock_offer.sql) and tether_end_offer
 * (end_offer.sql).
 */
describe('offer locking and ending', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const used = async (agentId: string) =>
    (await db.one<{ used: number }>(
      `SELECT used FROM agent_slots WHERE agent_id = $1 AND channel = 'voice'`,
      [agentId],
    ))!.used;
  const contact = (id: string) =>
    db.one<{
      status: string;
      offered_agent_id: string | null;
      excluded_agent_ids: string[];
      routing_trace: { text: string }[];
    }>(`SELECT status, offered_agent_id, excluded_agent_ids, routing_trace FROM contacts WHERE id = $1`, [
      id,
    ]);
  const offer = (id: string) =>
    db.one<{ state: string; end_reason: string | null; resolved_at: Date | null }>(
      `SELECT state, end_reason, resolved_at FROM offers WHERE id = $1`,
      [id],
    );

  describe('tether_lock_offer', () => {
    it('returns the offer; no row for an unknown offer', async () => {
      const agentId = await db.fixtures.agent();
      const { contactId, offerId } = await db.fixtures.offered(agentId);
      expect(
        await db.query(`SELECT id, contact_id, agent_id, state FROM tether_lock_offer($1)`, [offerId]),
      ).toEqual([{ id: offerId, contact_id: contactId, agent_id: agentId, state: 'pending' }]);
      expect(
        await db.query(`SELECT * FROM tether_lock_offer('00000000-0000-0000-0000-000000000000')`),
      ).toEqual([]);
    });

    it('locks the contact row first, then the offer, both to the end of the transaction', async () => {
      const agentId = await db.fixtures.agent();
      const { contactId, offerId } = await db.fixtures.offered(agentId);
      const [a, b, c] = [await db.session(), await db.session(), await db.session()];
      try {
        // someone holds the contact row (as every contact transition takes it first): the lock waits, offer untouched
        await a.query('BEGIN');
        await a.query(`SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, [contactId]);
        await b.query('BEGIN');
        const locking = b.query(`SELECT id FROM tether_lock_offer($1)`, [offerId]);
        await db.waitingForLock(b.pid);
        expect(
          await c.query(`SELECT id FROM offers WHERE id = $1 FOR UPDATE NOWAIT`, [offerId]),
        ).toHaveLength(1);
        await a.query('COMMIT');
        expect(await locking).toEqual([{ id: offerId }]);

        // now b holds both until it ends
        await expect(
          c.query(`SELECT 1 FROM offers WHERE id = $1 FOR UPDATE NOWAIT`, [offerId]),
        ).rejects.toThrow(/could not obtain lock/);
        await expect(
          c.query(`SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE NOWAIT`, [contactId]),
        ).rejects.toThrow(/could not obtain lock/);
        await b.query('COMMIT');
        expect(
          await c.query(`SELECT 1 AS ok FROM offers WHERE id = $1 FOR UPDATE NOWAIT`, [offerId]),
        ).toEqual([{ ok: 1 }]);
      } finally {
        await Promise.all([a.end(), b.end(), c.end()]);
      }
    });
  });

  describe('tether_end_offer', () => {
    it('ends the offer, puts the contact back in the queue with the agent excluded, frees the slot', async () => {
      const agentId = await db.fixtures.agent();
      const { contactId, offerId } = await db.fixtures.offered(agentId);
      await db.query(`SELECT tether_end_offer($1, 'rejected', 'busy', true)`, [offerId]);

      const ended = (await offer(offerId))!;
      expect(ended).toMatchObject({ state: 'rejected', end_reason: 'busy' });
      expect(ended.resolved_at).not.toBeNull();
      const row = (await contact(contactId))!;
      expect(row).toMatchObject({ status: 'queued', offered_agent_id: null, excluded_agent_ids: [agentId] });
      expect(row.routing_trace.map((entry) => entry.text)).toEqual([`offer to ${agentId} rejected (busy)`]);
      expect(await used(agentId)).toBe(0);
    });

    it('without p_exclude the contact may come back to the agent', async () => {
      const agentId = await db.fixtures.agent();
      const { contactId, offerId } = await db.fixtures.offered(agentId);
      await db.query(`SELECT tether_end_offer($1, 'revoked', 'disconnected', false)`, [offerId]);
      expect(await contact(contactId)).toMatchObject({ status: 'queued', excluded_agent_ids: [] });
      expect(await offer(offerId)).toMatchObject({ state: 'revoked', end_reason: 'disconnected' });
    });

    it('leaves a contact that is no longer offered to this agent alone, and never takes a slot below 0', async () => {
      const agentId = await db.fixtures.agent();
      const other = await db.fixtures.agent();
      const contactId = await db.fixtures.contact({ status: 'offered', offeredAgentId: other });
      const offerId = await db.fixtures.offer({ contactId, agentId });
      await db.query(`SELECT tether_end_offer($1, 'expired', 'expired', true)`, [offerId]);
      expect(await offer(offerId)).toMatchObject({ state: 'expired' });
      expect(await contact(contactId)).toMatchObject({
        status: 'offered',
        offered_agent_id: other,
        excluded_agent_ids: [],
      });
      expect(await used(agentId)).toBe(0);
    });
  });
});
