import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_identify_customer (identify_customer.sql): who a call or a message comes from, by one identity. */
describe('tether_identify_customer', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const identify = async (kind: string, value: string | null) =>
    (await db.one<{ customer_id: string; known: boolean; created: boolean }>(
      `SELECT * FROM tether_identify_customer($1, $2)`,
      [kind, value],
    ))!;

  it('a new identity makes a provisional customer holding it; the same identity finds them again', async () => {
    const first = await identify('email', 'new-writer@example.com');
    expect(first).toMatchObject({ known: false, created: true });
    expect(await identify('email', 'new-writer@example.com')).toEqual({ ...first, created: false });
    // another kind with the same text is another identity
    expect((await identify('handle', 'new-writer@example.com')).customer_id).not.toBe(first.customer_id);
  });

  it('a known customer is found by any of their identities', async () => {
    const customerId = await db.fixtures.customer({ phone: '+15550001111' });
    await db.query(`UPDATE customers SET known = true WHERE id = $1`, [customerId]);
    await db.query(
      `INSERT INTO customer_identities (kind, value, customer_id) VALUES ('handle', 'x:ada', $1)`,
      [customerId],
    );
    expect(await identify('phone', '+15550001111')).toEqual({
      customer_id: customerId,
      known: true,
      created: false,
    });
    expect(await identify('handle', 'x:ada')).toEqual({
      customer_id: customerId,
      known: true,
      created: false,
    });
  });

  it('no identity (a withheld number): always a new customer, holding no identity', async () => {
    const one = await identify('phone', null);
    const two = await identify('phone', null);
    expect(one.created && two.created).toBe(true);
    expect(one.customer_id).not.toBe(two.customer_id);
    const held = await db.one<{ n: string }>(
      `SELECT count(*) AS n FROM customer_identities WHERE customer_id = $1`,
      [one.customer_id],
    );
    expect(held!.n).toBe('0');
  });

  it('two first contacts from one new identity at once make one customer', async () => {
    const value = 'race@example.com';
    const found = await Promise.all(Array.from({ length: 6 }, () => identify('email', value)));
    expect(new Set(found.map((f) => f.customer_id)).size).toBe(1);
    expect(found.filter((f) => f.created)).toHaveLength(1);
    const customers = await db.one<{ n: string }>(
      `SELECT count(*) AS n FROM customers c WHERE NOT EXISTS (SELECT 1 FROM customer_identities i WHERE i.customer_id = c.id)
         AND c.known = false AND c.created_at > now() - interval '1 minute'`,
    );
    // the losers dropped their provisional customers (only the withheld-number ones of the test above remain)
    expect(Number(customers!.n)).toBe(2);
  });
});
