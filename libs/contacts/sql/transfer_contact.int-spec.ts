import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * tether_transfer_contact (transfer_contact.sql), tether_return_transfer (return_transfer.sql) and the accept that
 * completes a transfer (accept_offer.sql), on the real PostgreSQL.
 */
describe('tether_transfer_contact, tether_return_transfer', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const transfer = async (
    agentId: string,
    contactId: string,
    kind: 'agent' | 'line' | 'case_owner',
    target: { agentId?: string; line?: string },
    mode: 'warm' | 'cold',
  ) =>
    (await db.one<{ outcome: string; transfer_id: string | null; line: string | null }>(
      `SELECT * FROM tether_transfer_contact($1, $2, $3, $4, $5, $6, 'a note', 'trace', now() + interval '60 seconds')`,
      [agentId, contactId, kind, target.agentId ?? null, target.line ?? null, mode],
    ))!;
  const contact = (id: string) =>
    db.one<{
      status: string;
      line: string;
      agent_id: string;
      work_open: boolean;
      transfer_id: string | null;
    }>(
      `SELECT status, line, agent_id, work_open, transfer_id, excluded_agent_ids FROM contacts WHERE id = $1`,
      [id],
    );
  const used = async (agentId: string) =>
    (await db.one<{ used: number }>(
      `SELECT used FROM agent_slots WHERE agent_id = $1 AND channel = 'voice'`,
      [agentId],
    ))!.used;

  it('warm to a line: queued for the target line with the agent still on it; accepted, the agent is released', async () => {
    const from = await db.fixtures.agent({ lines: ['sales'] });
    const to = await db.fixtures.agent({ lines: ['service'] });
    const contactId = await db.fixtures.connected(from, { line: 'sales' });
    const done = await transfer(from, contactId, 'line', { line: 'service' }, 'warm');
    expect(done).toMatchObject({ outcome: 'transferred', line: 'service' });
    expect(await contact(contactId)).toMatchObject({
      status: 'queued',
      line: 'sales', // the call's line: the platform keeps addressing it there
      agent_id: from,
      work_open: true,
      transfer_id: done.transfer_id,
      excluded_agent_ids: [from],
    });
    expect(await used(from)).toBe(1);
    expect(
      await db.query(`SELECT kind FROM scheduled_jobs WHERE dedupe_key = $1`, [done.transfer_id]),
    ).toEqual([{ kind: 'transfer.timeout' }]);
    // a second transfer while this one is pending
    expect((await transfer(from, contactId, 'line', { line: 'presales' }, 'cold')).outcome).toBe('pending');

    // the target line's pass offers it; the accept completes the transfer and releases the warm agent
    await db.query(`UPDATE contacts SET status = 'offered', offered_agent_id = $2 WHERE id = $1`, [
      contactId,
      to,
    ]);
    const offerId = await db.fixtures.offer({ contactId, agentId: to });
    await db.query(`UPDATE agent_slots SET used = used + 1 WHERE agent_id = $1 AND channel = 'voice'`, [to]);
    const accepted = await db.one<{
      outcome: string;
      transfer_from: string;
      transfer_mode: string;
      callback_body: unknown;
    }>(
      `SELECT outcome, transfer_from, transfer_mode, callback_body FROM tether_accept_offer($1, $2, 'http://x/cb')`,
      [to, offerId],
    );
    expect(accepted).toMatchObject({
      outcome: 'accepted',
      transfer_from: from,
      transfer_mode: 'warm',
      callback_body: { event: 'contact.transferred', contactId, fromAgentId: from, toAgentId: to },
    });
    expect(await used(from)).toBe(0);
    expect(await contact(contactId)).toMatchObject({ status: 'connected', agent_id: to, transfer_id: null });
    expect(
      await db.one(`SELECT state, to_agent_id FROM transfers WHERE id = $1`, [done.transfer_id]),
    ).toEqual({
      state: 'completed',
      to_agent_id: to,
    });
  });

  it('cold: released at once; coming back it waits on its line with the agent as its last agent', async () => {
    const from = await db.fixtures.agent({ lines: ['sales'] });
    const contactId = await db.fixtures.connected(from, { line: 'sales' });
    const done = await transfer(from, contactId, 'line', { line: 'service' }, 'cold');
    expect(await used(from)).toBe(0);
    expect(await contact(contactId)).toMatchObject({ status: 'queued', work_open: false });

    const back = await db.one(`SELECT * FROM tether_return_transfer($1, 'nobody', 'back')`, [
      done.transfer_id,
    ]);
    expect(back).toMatchObject({
      outcome: 'returned',
      contact_id: contactId,
      from_agent_id: from,
      mode: 'cold',
    });
    expect(await contact(contactId)).toMatchObject({
      status: 'queued',
      transfer_id: null,
      excluded_agent_ids: [],
    });
    expect(await db.one(`SELECT sticky_agent_id FROM contacts WHERE id = $1`, [contactId])).toEqual({
      sticky_agent_id: from,
    });
    // once only
    expect(
      await db.one(`SELECT outcome FROM tether_return_transfer($1, 'again', 'x')`, [done.transfer_id]),
    ).toEqual({
      outcome: 'gone',
    });
  });

  it('warm coming back: connected to its agent again, a pending offer of it revoked and its slot freed', async () => {
    const from = await db.fixtures.agent({ lines: ['sales'] });
    const to = await db.fixtures.agent({ lines: ['sales'] });
    const contactId = await db.fixtures.connected(from, { line: 'sales' });
    const done = await transfer(from, contactId, 'agent', { agentId: to }, 'warm');
    await db.query(`UPDATE contacts SET status = 'offered', offered_agent_id = $2 WHERE id = $1`, [
      contactId,
      to,
    ]);
    const offerId = await db.fixtures.offer({ contactId, agentId: to });
    await db.query(`UPDATE agent_slots SET used = used + 1 WHERE agent_id = $1 AND channel = 'voice'`, [to]);

    const back = await db.one(`SELECT * FROM tether_return_transfer($1, 'timeout', 'back')`, [
      done.transfer_id,
    ]);
    expect(back).toMatchObject({ outcome: 'returned', revoked_offer_id: offerId, revoked_agent_id: to });
    expect(await contact(contactId)).toMatchObject({ status: 'connected', agent_id: from, work_open: true });
    expect(await used(to)).toBe(0);
    expect(
      await db.query(`SELECT state FROM offers WHERE contact_id = $1 ORDER BY created_at`, [contactId]),
    ).toEqual([{ state: 'accepted' }, { state: 'revoked' }]);
  });

  it('refuses what is not the agent’s connected contact, and a case-owner transfer without an owner', async () => {
    const from = await db.fixtures.agent({ lines: ['sales'] });
    const other = await db.fixtures.agent({ lines: ['sales'] });
    const contactId = await db.fixtures.connected(from, { line: 'sales' });
    expect((await transfer(other, contactId, 'line', { line: 'service' }, 'cold')).outcome).toBe(
      'not_connected',
    );
    expect((await transfer(from, contactId, 'case_owner', {}, 'cold')).outcome).toBe('no_case_owner');
    expect(await contact(contactId)).toMatchObject({ status: 'connected', transfer_id: null });
  });
});
