import { createSqlTestDatabase, SqlQuery, SqlTestDatabase } from '@tether/testing';

/** tether_receive_call (receive_call.sql) against the real PostgreSQL with the real migrations and SQL sources. */
describe('tether_receive_call', () => {
  let db: SqlTestDatabase;
  const DAY = 86_400_000;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Call {
    line?: string;
    callId?: string;
    phone?: string | null;
    rulesVersion?: number;
    priority?: number;
    skills?: Record<string, number>;
  }
  interface Received {
    outcome: 'created' | 'hung_up' | 'duplicate' | 'stale_rules';
    contact_id: string | null;
  }

  function receive(call: Call = {}, on: SqlQuery = db): Promise<Received> {
    const phone = call.phone === undefined ? db.fixtures.phone() : call.phone;
    return on
      .query<Received>(
        `SELECT * FROM tether_receive_call($1, $2, $3, $4, '+15550000001', '{"intent":"billing"}', $5, $6, $7, $8, $9)`,
        [
          call.line ?? 'sales',
          call.callId ?? db.fixtures.callId(),
          phone ?? 'anonymous',
          phone,
          call.priority ?? 0,
          JSON.stringify(call.skills ?? {}),
          call.rulesVersion ?? 1,
          'arrived on line test',
          'hung up first',
        ],
      )
      .then((rows) => rows[0]);
  }

  /** what ContactLifecycleService.hangup does first: remember a hang-up for a call the line has not seen */
  const rememberHangup = (line: string, callId: string, keepSeconds = 600, on: SqlQuery = db) =>
    on
      .query<{ outcome: string }>(`SELECT outcome FROM tether_remember_hangup($1, 'voice', $2, $3)`, [
        line,
        callId,
        keepSeconds,
      ])
      .then((rows) => rows[0].outcome);
  const tombstones = (callId: string) =>
    db.query<{ line: string }>(`SELECT line FROM call_tombstones WHERE external_id = $1 ORDER BY line`, [
      callId,
    ]);

  const contact = (id: string) =>
    db.one<{
      status: string;
      end_reason: string | null;
      ended_at: Date | null;
      line: string;
      channel: string;
      customer_id: string;
      priority: number;
      required_skills: Record<string, number>;
      ivr: Record<string, string>;
      sticky_agent_id: string | null;
      last_agent_at: Date | null;
      routing_trace: { at: string; text: string }[];
    }>(`SELECT * FROM contacts WHERE id = $1`, [id]);
  const count = async (table: string) =>
    (await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))!.n;
  const stickyJobs = (contactId: string) =>
    db.query<{ dedupe_key: string; payload: unknown; run_at: Date }>(
      `SELECT dedupe_key, payload, run_at FROM scheduled_jobs WHERE kind = 'routing.sticky-wait' AND dedupe_key LIKE $1`,
      [`${contactId}@%`],
    );

  /** a customer by phone whose last contact on `line` was connected to `agentId` that long ago */
  async function returningCaller(agentId: string, daysAgo: number, line = 'sales'): Promise<string> {
    const phone = db.fixtures.phone();
    const customerId = await db.fixtures.customer({ phone });
    await db.fixtures.contact({
      customerId,
      line,
      status: 'ended',
      agentId,
      connectedAt: new Date(Date.now() - daysAgo * DAY),
    });
    return phone;
  }

  it("'created': an unknown number gets a provisional customer with that phone, and a queued contact", async () => {
    const phone = db.fixtures.phone();
    const result = await receive({ phone, priority: 3, skills: { billing: 5 } });
    expect(result.outcome).toBe('created');

    const row = (await contact(result.contact_id!))!;
    expect(row).toMatchObject({
      status: 'queued',
      line: 'sales',
      channel: 'voice',
      priority: 3,
      required_skills: { billing: 5 },
      ivr: { intent: 'billing' },
      sticky_agent_id: null,
    });
    expect(row.routing_trace.map((entry) => entry.text)).toEqual(['arrived on line test']);
    const customer = await db.one<{ known: boolean; phone: string }>(
      `SELECT c.known, i.value AS phone FROM customers c JOIN customer_identities i ON i.customer_id = c.id
        WHERE c.id = $1 AND i.kind = 'phone'`,
      [row.customer_id],
    );
    expect(customer).toEqual({ known: false, phone });
  });

  it("'created': a known number finds its customer; no number gets a provisional customer without identity", async () => {
    const phone = db.fixtures.phone();
    const customerId = await db.fixtures.customer({ phone });
    const known = await receive({ phone });
    expect(known.outcome).toBe('created');
    expect((await contact(known.contact_id!))!.customer_id).toBe(customerId);
    expect((await contact(known.contact_id!))!.routing_trace[0].text).toBe('arrived on line test');

    const anonymous = await receive({ phone: null });
    expect(anonymous.outcome).toBe('created');
    const anonymousCustomer = (await contact(anonymous.contact_id!))!.customer_id;
    expect(
      await db.one(
        `SELECT known, (SELECT count(*)::int FROM customer_identities WHERE customer_id = $1) AS identities
                      FROM customers WHERE id = $1`,
        [anonymousCustomer],
      ),
    ).toEqual({ known: false, identities: 0 });
  });

  it("'duplicate': the same call id again returns the first contact and leaves no extra customer", async () => {
    const callId = db.fixtures.callId();
    const first = await receive({ callId, phone: null });
    const [contacts, customers] = [await count('contacts'), await count('customers')];

    const again = await receive({ callId, phone: null }); // found under the call's lock: no customer is made
    expect(again).toEqual({ outcome: 'duplicate', contact_id: first.contact_id });
    const phone = db.fixtures.phone();
    expect(await receive({ callId, phone })).toEqual({ outcome: 'duplicate', contact_id: first.contact_id });
    expect(await count('contacts')).toBe(contacts);
    expect(await count('customers')).toBe(customers);
    expect(
      await db.one(`SELECT count(*)::int AS n FROM customer_identities WHERE value = $1`, [phone]),
    ).toEqual({
      n: 0,
    });
  });

  it("'duplicate': two concurrent deliveries of a first call from a new number make one contact and one customer", async () => {
    const [a, b] = [await db.session(), await db.session()];
    try {
      const callId = db.fixtures.callId();
      const phone = db.fixtures.phone();
      const [contacts, customers] = [await count('contacts'), await count('customers')];

      await a.query('BEGIN');
      const first = await receive({ callId, phone }, a);
      expect(first.outcome).toBe('created');
      const second = receive({ callId, phone }, b); // waits for a's lock on the call
      await db.waitingForLock(b.pid);
      await a.query('COMMIT');

      expect(await second).toEqual({ outcome: 'duplicate', contact_id: first.contact_id });
      expect(await count('contacts')).toBe(contacts + 1);
      expect(await count('customers')).toBe(customers + 1);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("'stale_rules': rules computed from another version of the line's rules write nothing", async () => {
    const version = await db.fixtures.rules('presales', {});
    const [contacts, customers] = [await count('contacts'), await count('customers')];
    expect(await receive({ line: 'presales', rulesVersion: version - 1 })).toEqual({
      outcome: 'stale_rules',
      contact_id: null,
    });
    expect(await count('contacts')).toBe(contacts);
    expect(await count('customers')).toBe(customers);
    expect((await receive({ line: 'presales', rulesVersion: version })).outcome).toBe('created');
  });

  it("records the customer's latest agent on the line and when: facts for the engine, no timer", async () => {
    const older = await db.fixtures.agent();
    const last = await db.fixtures.agent();
    const phone = await returningCaller(older, 10);
    const customerId = (await db.one<{ customer_id: string }>(
      `SELECT customer_id FROM customer_identities WHERE value = $1`,
      [phone],
    ))!.customer_id;
    const connectedAt = new Date(Date.now() - 5 * DAY);
    await db.fixtures.contact({ customerId, status: 'ended', agentId: last, connectedAt });

    const result = await receive({ phone });
    expect(result.outcome).toBe('created');
    const row = (await contact(result.contact_id!))!;
    expect(row.sticky_agent_id).toBe(last);
    expect(row.last_agent_at).toEqual(connectedAt);
    // holds are the routing pass's (tether_commit_offers), not the intake's
    expect(await stickyJobs(result.contact_id!)).toEqual([]);
  });

  it("however long ago (the horizon is the engine's), but not on another line nor a removed agent", async () => {
    const agent = await db.fixtures.agent();
    const longAgo = await receive({ phone: await returningCaller(agent, 400) });
    expect((await contact(longAgo.contact_id!))!.sticky_agent_id).toBe(agent);

    const otherLine = await receive({ phone: await returningCaller(agent, 1, 'service') });
    expect((await contact(otherLine.contact_id!))!.sticky_agent_id).toBeNull();

    const gone = await db.fixtures.agent({ deleted: true });
    const deleted = await receive({ phone: await returningCaller(gone, 1) });
    expect((await contact(deleted.contact_id!))!.sticky_agent_id).toBeNull();
    expect((await contact(deleted.contact_id!))!.last_agent_at).toBeNull();
  });

  it("the same call id on another line is another call: 'created' there, each line's duplicate its own", async () => {
    const callId = db.fixtures.callId();
    const onSales = await receive({ callId, line: 'sales' });
    const onService = await receive({ callId, line: 'service' });
    expect(onSales.outcome).toBe('created');
    expect(onService.outcome).toBe('created');
    expect(onService.contact_id).not.toBe(onSales.contact_id);
    expect((await contact(onService.contact_id!))!.line).toBe('service');
    expect(await receive({ callId, line: 'sales' })).toEqual({
      outcome: 'duplicate',
      contact_id: onSales.contact_id,
    });
    expect(await receive({ callId, line: 'service' })).toEqual({
      outcome: 'duplicate',
      contact_id: onService.contact_id,
    });
  });

  it("'hung_up': a hang-up remembered first makes the call an ended contact, queued nowhere, and is consumed", async () => {
    const callId = db.fixtures.callId();
    expect(await rememberHangup('sales', callId)).toBe('remembered');
    const queuedBefore = await db.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM contacts WHERE status = 'queued'`,
    );

    const result = await receive({ callId });
    expect(result.outcome).toBe('hung_up');
    const row = (await contact(result.contact_id!))!;
    expect(row).toMatchObject({
      status: 'ended',
      end_reason: 'abandoned',
      line: 'sales',
      sticky_agent_id: null,
    });
    expect(row.ended_at).toBeInstanceOf(Date);
    expect(row.routing_trace.map((entry) => entry.text)).toEqual(['arrived on line test', 'hung up first']);
    expect(await db.one(`SELECT count(*)::int AS n FROM contacts WHERE status = 'queued'`)).toEqual(
      queuedBefore,
    );
    expect(await tombstones(callId)).toEqual([]);
    // the platform's next copy of the webhook finds that contact, and a late hang-up finds it too
    expect(await receive({ callId })).toEqual({ outcome: 'duplicate', contact_id: result.contact_id });
    expect(await rememberHangup('sales', callId)).toBe('known');
  });

  it("a hang-up remembered on another line, or expired, does not end this line's call", async () => {
    const callId = db.fixtures.callId();
    await rememberHangup('service', callId);
    const onSales = await receive({ callId, line: 'sales' });
    expect(onSales.outcome).toBe('created');
    expect((await contact(onSales.contact_id!))!.status).toBe('queued');
    expect(await tombstones(callId)).toEqual([{ line: 'service' }]); // still there for the service line's call

    const expired = db.fixtures.callId();
    await rememberHangup('sales', expired, -1);
    const late = await receive({ callId: expired });
    expect(late.outcome).toBe('created');
    expect((await contact(late.contact_id!))!.status).toBe('queued');
    expect(await tombstones(expired)).toEqual([]); // dropped on the way
  });

  describe('a hang-up racing its call webhook ends in exactly one of the two orders', () => {
    it('hang-up first (its transaction open): the webhook waits, then records the call ended', async () => {
      const [a, b] = [await db.session(), await db.session()];
      try {
        const callId = db.fixtures.callId();
        await a.query('BEGIN');
        expect(await rememberHangup('sales', callId, 600, a)).toBe('remembered');
        const call = receive({ callId }, b);
        await db.waitingForLock(b.pid);
        await a.query('COMMIT');
        const result = await call;
        expect(result.outcome).toBe('hung_up');
        expect((await contact(result.contact_id!))!.status).toBe('ended');
      } finally {
        await a.end();
        await b.end();
      }
    });

    it('webhook first (its transaction open): the hang-up waits, then finds the call and leaves no tombstone', async () => {
      const [a, b] = [await db.session(), await db.session()];
      try {
        const callId = db.fixtures.callId();
        await a.query('BEGIN');
        const created = await receive({ callId }, a);
        expect(created.outcome).toBe('created');
        const hangup = rememberHangup('sales', callId, 600, b);
        await db.waitingForLock(b.pid);
        await a.query('COMMIT');
        expect(await hangup).toBe('known');
        expect(await tombstones(callId)).toEqual([]);
      } finally {
        await a.end();
        await b.end();
      }
    });
  });
});
