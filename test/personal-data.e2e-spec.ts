import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import {
  type DatabasePool,
  type Tether,
  TestFloor,
  findTextInDatabase,
  openDatabasePool,
  startTether,
  testRedisUrl,
  uniquePhone,
} from '@tether/testing';

/** libs/realtime's EVENTS_STREAM: every instance's events, in order */
const EVENTS_STREAM = '{tether}:events:stream';

/**
 * Personal data: a customer's erase leaves no trace of their number, name, external ref or notes in any table, on
 * the Redis event stream or in the logs; the export answers all of it before; events on the stream carry ids, and
 * the gateway builds the offer an agent sees from PostgreSQL. Separate processes (admin, sales, gateway) so that
 * every event crosses Redis, at info level so that every log line about the call is written.
 */
describe('personal data', () => {
  let tether: Tether;
  let floor: TestFloor;
  let db: DatabasePool;
  let redis: ReturnType<typeof createClient>;

  beforeAll(async () => {
    // three processes: give a loaded machine longer than the harness's default 30 s to start them
    tether = await startTether({
      apps: ['admin', 'sales', 'gateway'],
      env: { LOG_LEVEL: 'info' },
      startTimeoutMs: 90_000,
    });
    floor = new TestFloor(tether);
    db = openDatabasePool(tether.databaseUrl);
    redis = createClient({ url: testRedisUrl() });
    await redis.connect();
  }, 120_000);
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await redis?.quit();
    await db?.close();
    await tether?.stop();
  });

  /** the stream's entries after `after` (an entry id), as their JSON texts */
  async function streamSince(after: string): Promise<string[]> {
    const entries = await redis.sendCommand<[string, string[]][]>(['XRANGE', EVENTS_STREAM, after, '+']);
    return entries.filter(([id]) => id !== after).map(([, fields]) => fields[fields.indexOf('e') + 1]);
  }
  async function streamEnd(): Promise<string> {
    const newest = await redis.sendCommand<[string, string[]][]>([
      'XREVRANGE',
      EVENTS_STREAM,
      '+',
      '-',
      'COUNT',
      '1',
    ]);
    return newest[0]?.[0] ?? '0-0';
  }

  it('an erased customer leaves no trace of their number, name or notes in any table, on the stream or in the logs', async () => {
    const tag = randomBytes(4).toString('hex');
    const phone = uniquePhone();
    const name = `Nadia Forgettable ${tag}`;
    const externalRef = `CRM-${tag}`;
    const note = `promised a refund, call back on Tuesday ${tag}`;
    const personal = [phone, phone.slice(1), name, externalRef, note];
    const streamStart = await streamEnd();

    await floor.rules('sales', { sticky: { enabled: false, waitSeconds: 0 }, offerTimeoutSeconds: 30 });
    const { id: customerId } = await floor.admin.createCustomer({ name, phones: [phone], externalRef });
    const agent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales', {
      from: phone,
      to: '+442071838750',
      ivr: { intent: 'billing', digits: phone.slice(1) },
    });
    expect(call.customer).toEqual({ id: customerId, known: true });

    // the offer the agent sees carries the customer's card: built by the gateway from PostgreSQL
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(offer.customer).toMatchObject({ id: customerId, name, externalRef });
    expect(await agent.accept(offer.offerId)).toMatchObject({ ok: true });
    expect(await agent.complete(call.contactId, 'follow_up', note)).toMatchObject({ ok: true });

    // positive controls: the stream carried this offer (by ids), and the database holds every personal text
    const announced = await streamSince(streamStart);
    expect(announced.some((e) => e.includes('"offer.created"') && e.includes(offer.offerId))).toBe(true);
    const before = await findTextInDatabase(db, personal);
    expect(new Set(before.map((f) => `${f.table}.${f.column}`))).toEqual(
      new Set([
        'customers.name',
        'customers.external_ref',
        'customer_identities.value',
        'contacts.from_address',
        'contacts.ivr',
        'contacts.notes',
      ]),
    );

    // the export answers it all
    const exported = await floor.admin.exportCustomer(customerId);
    expect(exported.customer).toMatchObject({ id: customerId, name, externalRef, known: true });
    expect(exported.identities).toEqual([expect.objectContaining({ kind: 'phone', value: phone })]);
    expect(exported.contacts).toEqual([
      expect.objectContaining({
        id: call.contactId,
        callId: expect.any(String),
        line: 'sales',
        from: phone,
        notes: note,
        resolution: 'follow_up',
        agentId: agent.agentId,
        erasedAt: null,
        offers: [expect.objectContaining({ id: offer.offerId, agentId: agent.agentId, state: 'accepted' })],
      }),
    ]);
    // the follow-up opened a case: it is theirs too
    expect(exported.cases).toEqual([
      expect.objectContaining({ status: 'open', ownerId: agent.agentId, contactIds: [call.contactId] }),
    ]);
    expect(exported.notices).toEqual([]);
    expect((await floor.admin.getCustomer(customerId)).id).toBe(customerId);
    // who took the customer's data whole is on record (a read audited like a write); other reads are not
    const exports = await db.query<{ action: string; status: number; actor: string }>(
      `SELECT action, status, actor FROM audit_log WHERE target = $1 AND action LIKE 'GET %'`,
      [customerId],
    );
    expect(exports).toEqual([
      {
        action: 'GET /v1/customers/:id/export',
        status: 200,
        actor: expect.stringMatching(/^admin:[0-9a-f]{12}$/),
      },
    ]);

    await floor.admin.eraseCustomer(customerId);

    expect(await findTextInDatabase(db, personal)).toEqual([]);
    const after = await floor.admin.request('DELETE', `/v1/customers/${customerId}`);
    expect(after.status).toBe(404);
    expect((await floor.admin.request('GET', `/v1/customers/${customerId}`)).status).toBe(404);
    expect((await floor.admin.request('GET', `/v1/customers/${customerId}/export`)).status).toBe(404);
    // the contact's figures stay: line, status, resolution, agent, times
    const [contact] = await db.query(
      `SELECT line, status, resolution, agent_id, completed_at IS NOT NULL AS completed, erased_at IS NOT NULL AS erased
         FROM contacts WHERE id = $1`,
      [call.contactId],
    );
    expect(contact).toEqual({
      line: 'sales',
      status: 'ended',
      resolution: 'follow_up',
      agent_id: agent.agentId,
      completed: true,
      erased: true,
    });
    // audit-logged, with the customer's id as the target
    expect(
      await db.query(
        `SELECT action, status FROM audit_log WHERE target = $1 AND action = 'DELETE /v1/customers/:id' ORDER BY id`,
        [customerId],
      ),
    ).toEqual([
      { action: 'DELETE /v1/customers/:id', status: 204 },
      { action: 'DELETE /v1/customers/:id', status: 404 },
    ]);

    // nothing on the event stream, ever: the bus carries ids
    const stream = (await streamSince(streamStart)).join('\n');
    expect(stream).toContain(call.contactId);
    for (const text of personal) expect(stream).not.toContain(text);

    // nor in any process's logs (positive control: the logs do tell of this offer, by id)
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logs = tether.logs();
    expect(logs).toContain(offer.offerId);
    for (const text of personal) expect(logs).not.toContain(text);
  });

  it('a customer with a call in progress cannot be erased yet (409); once it is over, they can', async () => {
    const phone = uniquePhone();
    const { id: customerId } = await floor.admin.createCustomer({ name: 'Busy Caller', phones: [phone] });
    await floor.rules('sales', { sticky: { enabled: false, waitSeconds: 0 }, offerTimeoutSeconds: 30 });
    const call = await floor.call('sales', { from: phone });

    const refused = await floor.admin.request<{ message: string }>('DELETE', `/v1/customers/${customerId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/in progress/);
    expect((await floor.admin.getCustomer(customerId)).name).toBe('Busy Caller');

    expect((await floor.line('sales').hangup(call.callId)).status).toBeLessThan(300);
    await floor.admin.eraseCustomer(customerId);
    expect(await findTextInDatabase(db, [phone, 'Busy Caller'])).toEqual([]);
  });
});
