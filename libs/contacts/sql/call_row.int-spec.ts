import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_call_row (call_row.sql): the row a call's view is built from, with its place in the queue. */
describe('tether_call_row', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const callRow = (contactId: string) =>
    db.one<Record<string, unknown>>(`SELECT * FROM tether_call_row($1)`, [contactId]);

  it('the contact with its customer known flag; no row for an unknown contact', async () => {
    const customerId = await db.fixtures.customer({ known: false });
    const agentId = await db.fixtures.agent();
    const contactId = await db.fixtures.contact({
      customerId,
      line: 'service',
      status: 'connected',
      agentId,
      workOpen: true,
      priority: 2,
      lastAgentId: agentId,
    });
    expect(await callRow(contactId)).toMatchObject({
      id: contactId,
      channel: 'voice',
      line: 'service',
      customer_id: customerId,
      from_address: '+15550000000',
      priority: 2,
      status: 'connected',
      end_reason: null,
      sticky_agent_id: agentId,
      offered_agent_id: null,
      agent_id: agentId,
      work_open: true,
      known: false,
      ahead: null, // only a queued contact has a place in the queue
      routed_line: null, // no redirect or overflow at arrival
      redirect_reason: null,
      offer_callback: false,
    });
    expect(await callRow('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it("'ahead' counts the line's queued contacts served before it: higher priority, or same priority and earlier", async () => {
    const line = 'presales';
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await db.fixtures.contact({ line, priority: 5, enqueuedAt: at(30) }); // higher priority, later: ahead
    await db.fixtures.contact({ line, priority: 0, enqueuedAt: at(5) }); // same priority, earlier: ahead
    await db.fixtures.contact({ line, priority: 0, enqueuedAt: at(20) }); // later: behind
    await db.fixtures.contact({ line, priority: 0, enqueuedAt: at(1), status: 'ended' }); // not queued
    await db.fixtures.contact({ line: 'sales', priority: 9, enqueuedAt: at(1) }); // another line
    const contactId = await db.fixtures.contact({ line, priority: 0, enqueuedAt: at(10) });
    expect((await callRow(contactId))!.ahead).toBe(2);
  });

  it('joined laterally to tether_receive_call in one statement, it sees the contact that call inserted', async () => {
    const row = await db.one<{
      outcome: string;
      contact_id: string;
      id: string;
      status: string;
      ahead: number;
    }>(
      `SELECT r.outcome, r.contact_id, v.*
         FROM tether_receive_call('service', $1, 'anonymous', NULL, NULL, NULL, 0, '{}', 1, 'arrived', 'hung up') r
         LEFT JOIN LATERAL tether_call_row(r.contact_id) v ON true`,
      [db.fixtures.callId()],
    );
    expect(row).toMatchObject({ outcome: 'created', status: 'queued', ahead: 0 });
    expect(row!.id).toBe(row!.contact_id);
  });
});
