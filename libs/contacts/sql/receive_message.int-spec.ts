import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_receive_message (receive_message.sql) on the real PostgreSQL. */
describe('tether_receive_message', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const version = async () =>
    (await db.one<{ version: number }>(`SELECT version FROM line_routing WHERE line = 'service'`))?.version ??
    0;
  const receive = async (
    conversation: string,
    messageId: string,
    from: { kind: string; value: string },
    options: { across?: boolean; rulesVersion?: number; channel?: string } = {},
  ) =>
    (await db.one<{
      outcome: string;
      contact_id: string;
      seq: number;
      status: string;
      customer_id: string;
    }>(
      `SELECT * FROM tether_receive_message('service', $1, $2, $3, $4, $5, 'hello', '[]'::jsonb, 0, '{}'::jsonb, $6,
                                            $7, 'arrived')`,
      [
        options.channel ?? 'chat',
        conversation,
        messageId,
        from.kind,
        from.value,
        options.rulesVersion ?? (await version()),
        options.across ?? false,
      ],
    ))!;

  it('the first message opens a contact, later ones join it, a repeated id changes nothing', async () => {
    const from = { kind: 'handle', value: 'telegram:ada' };
    const first = await receive('conv-1', 'm1', from);
    expect(first).toMatchObject({ outcome: 'created', seq: 1, status: 'queued' });
    const second = await receive('conv-1', 'm2', from);
    expect(second).toMatchObject({ outcome: 'appended', contact_id: first.contact_id, seq: 2 });
    expect(await receive('conv-1', 'm2', from)).toMatchObject({ outcome: 'duplicate', seq: 2 });
    expect(
      await db.query(`SELECT seq, direction FROM messages WHERE contact_id = $1 ORDER BY seq`, [
        first.contact_id,
      ]),
    ).toEqual([
      { seq: 1, direction: 'in' },
      { seq: 2, direction: 'in' },
    ]);
    expect(
      await db.one(`SELECT external_id, conversation_id FROM contacts WHERE id = $1`, [first.contact_id]),
    ).toEqual({
      external_id: 'conv-1#1',
      conversation_id: 'conv-1',
    });
    // once ended, the conversation's next message opens a new contact
    await db.query(`UPDATE contacts SET status = 'ended' WHERE id = $1`, [first.contact_id]);
    const reopened = await receive('conv-1', 'm3', from);
    expect(reopened).toMatchObject({ outcome: 'created', customer_id: first.customer_id });
    expect(reopened.contact_id).not.toBe(first.contact_id);
    expect((await receive('conv-1', 'm4', from, { rulesVersion: 999 })).outcome).toBe('stale_rules');
  });

  it('the last agent of another channel counts only across channels', async () => {
    const agent = await db.fixtures.agent({ lines: ['service'] });
    const customer = await db.fixtures.customer({ phone: '+15553334444' });
    await db.fixtures.contact({
      line: 'service',
      customerId: customer,
      status: 'ended',
      agentId: agent,
      connectedAt: new Date(),
    });
    const phone = { kind: 'phone', value: '+15553334444' };
    const same = await receive('conv-2', 'm-a', phone);
    const across = await receive('conv-3', 'm-b', phone, { across: true });
    const stickyOf = async (id: string) =>
      (await db.one<{ sticky_agent_id: string | null }>(
        `SELECT sticky_agent_id FROM contacts WHERE id = $1`,
        [id],
      ))!.sticky_agent_id;
    expect(await stickyOf(same.contact_id)).toBeNull();
    expect(await stickyOf(across.contact_id)).toBe(agent);
  });
});
