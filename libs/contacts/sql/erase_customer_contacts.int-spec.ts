import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_erase_customer_contacts (erase_customer_contacts.sql): an erase request's part on the contacts. */
describe('tether_erase_customer_contacts', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const erase = async (customerId: string, into: string) =>
    (await db.one<{ live: number; erased: number }>(
      `SELECT live, erased FROM tether_erase_customer_contacts($1, $2)`,
      [customerId, into],
    ))!;
  const tombstone = () => db.fixtures.customer({ name: null, known: false });
  /** a contact with every personal field filled, as intake and completion leave it */
  async function personalContact(
    customerId: string,
    options: Parameters<SqlTestDatabase['fixtures']['contact']>[0] = {},
  ) {
    const id = await db.fixtures.contact({ customerId, status: 'ended', resolution: 'resolved', ...options });
    await db.query(
      `UPDATE contacts SET from_address = '+15557654321', to_address = '+15550000001',
              ivr = '{"intent":"billing","digits":"4242"}', notes = coalesce(notes, 'card ending 4242')
        WHERE id = $1`,
      [id],
    );
    return id;
  }
  const contactRow = (id: string) =>
    db.one<Record<string, unknown>>(
      `SELECT customer_id, from_address, to_address, ivr, notes, erased_at IS NOT NULL AS erased, line, channel,
              status, resolution, agent_id, created_at, completed_at, external_id
         FROM contacts WHERE id = $1`,
      [id],
    );

  it('nulls number, number called, IVR input and notes on every contact of the customer, moved to the tombstone; the figures stay', async () => {
    const agentId = await db.fixtures.agent();
    const customerId = await db.fixtures.customer({ name: 'Grace' });
    const completedAt = new Date('2026-03-01T10:05:00Z');
    const first = await personalContact(customerId, {
      line: 'service',
      agentId,
      createdAt: new Date('2026-03-01T10:00:00Z'),
    });
    await db.query(`UPDATE contacts SET completed_at = $2 WHERE id = $1`, [first, completedAt]);
    const second = await personalContact(customerId, { endReason: 'caller_hung_up', resolution: null });
    const someoneElse = await personalContact(await db.fixtures.customer());
    const before = await contactRow(first);
    const into = await tombstone();

    expect(await erase(customerId, into)).toEqual({ live: 0, erased: 2 });

    for (const id of [first, second])
      expect(await contactRow(id)).toMatchObject({
        customer_id: into,
        from_address: null,
        to_address: null,
        ivr: null,
        notes: null,
        erased: true,
      });
    expect(await contactRow(first)).toMatchObject({
      line: 'service',
      channel: 'voice',
      status: 'ended',
      resolution: 'resolved',
      agent_id: agentId,
      created_at: before!.created_at,
      completed_at: completedAt,
      external_id: before!.external_id,
    });
    expect(await contactRow(someoneElse)).toMatchObject({
      from_address: '+15557654321',
      notes: 'card ending 4242',
      erased: false,
    });
    // idempotent: nothing left under the customer's id
    expect(await erase(customerId, into)).toEqual({ live: 0, erased: 0 });
  });

  it.each([
    ['queued', { status: 'queued' as const }],
    ['connected', { status: 'connected' as const, workOpen: true }],
    ['ended by the caller while the agent still writes notes', { status: 'ended' as const, workOpen: true }],
  ])('refuses while a contact is live (%s): nothing erased', async (_label, live) => {
    const agentId = await db.fixtures.agent();
    const customerId = await db.fixtures.customer();
    const done = await personalContact(customerId);
    const open = await personalContact(customerId, { agentId, ...live });

    expect(await erase(customerId, await tombstone())).toEqual({ live: 1, erased: 0 });
    for (const id of [done, open])
      expect(await contactRow(id)).toMatchObject({
        customer_id: customerId,
        from_address: '+15557654321',
        erased: false,
      });

    // positive control: once the contact is over, the same call erases both
    await db.query(`UPDATE contacts SET status = 'ended', work_open = false WHERE id = $1`, [open]);
    expect(await erase(customerId, await tombstone())).toEqual({ live: 0, erased: 2 });
  });

  it('an erased contact can hold no personal data again (CHECK contacts_erased_holds_no_personal_data)', async () => {
    const customerId = await db.fixtures.customer();
    const id = await personalContact(customerId);
    await erase(customerId, await tombstone());
    await expect(db.query(`UPDATE contacts SET notes = 'again' WHERE id = $1`, [id])).rejects.toThrow(
      /contacts_erased_holds_no_personal_data/,
    );
  });

  it("waits for a transaction that holds one of the customer's contacts", async () => {
    const customerId = await db.fixtures.customer();
    const id = await personalContact(customerId);
    const holder = await db.session();
    const eraser = await db.session();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, [id]);
      const into = await tombstone();
      const erasing = eraser.query<{ live: number; erased: number }>(
        `SELECT live, erased FROM tether_erase_customer_contacts($1, $2)`,
        [customerId, into],
      );
      await db.waitingForLock(eraser.pid);
      await holder.query('COMMIT');
      expect((await erasing)[0]).toEqual({ live: 0, erased: 1 });
    } finally {
      await holder.end();
      await eraser.end();
    }
  });
});
