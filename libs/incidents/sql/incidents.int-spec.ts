import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_incident_affecting (incident_affecting.sql) and tether_incident_notify (incident_notify.sql). */
describe('incident SQL', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const incident = async (scope: {
    customers?: string[];
    prefixes?: string[];
    attributes?: Record<string, string[]>;
    lines?: string[];
    status?: string;
  }) =>
    (
      await db.query<{ id: string }>(
        `INSERT INTO incidents (title, announcement, status, eta, affected_customer_ids, affected_phone_prefixes,
                                affected_attributes, affected_lines)
         VALUES ('Outage', 'We know.', $1, '2030-01-01T12:00:00Z', $2, $3, $4, $5) RETURNING id`,
        [
          scope.status ?? 'open',
          scope.customers ?? [],
          scope.prefixes ?? [],
          JSON.stringify(scope.attributes ?? {}),
          scope.lines ?? [],
        ],
      )
    )[0].id;
  const affecting = (customer: string, phone: string | null, line: string) =>
    db.one<{ incident_id: string; announcement: string }>(
      `SELECT * FROM tether_incident_affecting($1, $2, $3)`,
      [customer, phone, line],
    );

  it('finds the newest active incident by customer, prefix, attribute or line; never a resolved one', async () => {
    const plain = await db.fixtures.customer();
    const north = await db.fixtures.customer();
    await db.query(`UPDATE customers SET attributes = '{"area": "north"}' WHERE id = $1`, [north]);
    expect(await affecting(plain, '+15550001111', 'sales')).toBeUndefined();

    const byPrefix = await incident({ prefixes: ['+1555000'] });
    expect(await affecting(plain, '+15550001111', 'sales')).toEqual({
      incident_id: byPrefix,
      announcement: 'We know. Expected to be fixed by 2030-01-01 12:00 UTC.',
    });
    expect(await affecting(plain, '+15551001111', 'sales')).toBeUndefined();
    const byAttribute = await incident({ attributes: { area: ['south', 'north'] } });
    expect((await affecting(north, null, 'sales'))?.incident_id).toBe(byAttribute);
    const byCustomer = await incident({ customers: [plain] });
    expect((await affecting(plain, null, 'service'))?.incident_id).toBe(byCustomer);
    const byLine = await incident({ lines: ['presales'] });
    expect((await affecting(north, null, 'presales'))?.incident_id).toBe(byLine);
    await incident({ lines: ['billing'], status: 'resolved' });
    expect(await affecting(await db.fixtures.customer(), null, 'billing')).toBeUndefined();
  });

  it('writes one notice per affected customer and update, in batches, whatever runs twice', async () => {
    const customers: string[] = [];
    for (let i = 0; i < 5; i++) customers.push(await db.fixtures.customer({ phone: `+1555700000${i}` }));
    const id = await incident({ prefixes: ['+15557'] });
    const [{ id: update }] = await db.query<{ id: string }>(
      `INSERT INTO incident_updates (incident_id, kind, status, notify) VALUES ($1, 'opened', 'open', true) RETURNING id`,
      [id],
    );
    const notify = async (limit: number) =>
      (await db.one<{ n: number }>(`SELECT tether_incident_notify($1, 'http://gw/notify', $2, 100) AS n`, [
        update,
        limit,
      ]))!.n;
    expect(await notify(3)).toBe(3);
    expect(await notify(3)).toBe(2);
    expect(await notify(3)).toBe(0);
    const sent = await db.query<{ customer_id: string; event: string; to: string }>(
      `SELECT n.customer_id, w.event, w.body ->> 'to' AS to FROM incident_notices n
         JOIN outbound_webhooks w ON w.id = n.outbound_id WHERE n.update_id = $1`,
      [update],
    );
    expect(sent.map((s) => s.customer_id).sort()).toEqual([...customers].sort());
    expect(new Set(sent.map((s) => s.event))).toEqual(new Set(['customer.notice']));
    expect(
      await db.query(
        `SELECT count(*)::int AS n FROM scheduled_jobs WHERE kind = 'telephony.callback' AND dedupe_key = ANY($1)`,
        [
          (
            await db.query<{ outbound_id: string }>(
              `SELECT outbound_id FROM incident_notices WHERE update_id = $1`,
              [update],
            )
          ).map((r) => r.outbound_id),
        ],
      ),
    ).toEqual([{ n: 5 }]);
  });
});
