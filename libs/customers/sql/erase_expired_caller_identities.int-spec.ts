import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * tether_erase_expired_caller_identities (erase_expired_caller_identities.sql): retention's part on the numbers that
 * identify callers nobody registered.
 */
describe('tether_erase_expired_caller_identities', () => {
  let db: SqlTestDatabase;
  const DAYS = 30;
  const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600_000);

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());
  beforeEach(() => db.fixtures.clear());

  const run = async (limit = 100) =>
    (await db.one<{ n: number }>(`SELECT tether_erase_expired_caller_identities($1, $2) AS n`, [
      DAYS,
      limit,
    ]))!.n;
  /** a customer found by `phone` since `age` days, with one ended contact, erased or not */
  async function caller(options: { known: boolean; age: number; contactErased: boolean }) {
    const phone = db.fixtures.phone();
    const customerId = await db.fixtures.customer({
      phone,
      known: options.known,
      name: options.known ? 'Reg' : null,
    });
    await db.query(`UPDATE customer_identities SET created_at = $2 WHERE value = $1`, [
      phone,
      daysAgo(options.age),
    ]);
    const contactId = await db.fixtures.contact({
      customerId,
      status: 'ended',
      createdAt: daysAgo(options.age),
    });
    if (options.contactErased)
      await db.query(
        `UPDATE contacts SET from_address = NULL, to_address = NULL, ivr = NULL, notes = NULL, erased_at = now()
          WHERE id = $1`,
        [contactId],
      );
    return { phone, customerId };
  }
  const identified = async (phone: string) =>
    (await db.one(`SELECT 1 FROM customer_identities WHERE kind = 'phone' AND value = $1`, [phone])) !==
    undefined;

  it("deletes an unregistered caller's old number once all their contacts are erased; nothing else", async () => {
    const gone = await caller({ known: false, age: DAYS + 1, contactErased: true });
    const stillHeld = await caller({ known: false, age: DAYS + 1, contactErased: false });
    const recent = await caller({ known: false, age: DAYS - 1, contactErased: true });
    const registered = await caller({ known: true, age: DAYS * 2, contactErased: true });

    expect(await run()).toBe(1);
    expect(await identified(gone.phone)).toBe(false);
    // the customer stays, anonymous, with their contacts
    expect(
      await db.one(
        `SELECT cu.name, cu.known, (SELECT count(*)::int FROM contacts c WHERE c.customer_id = cu.id) AS contacts
           FROM customers cu WHERE cu.id = $1`,
        [gone.customerId],
      ),
    ).toEqual({ name: null, known: false, contacts: 1 });
    for (const kept of [stillHeld, recent, registered]) expect(await identified(kept.phone)).toBe(true);
    expect(await run()).toBe(0);
  });

  it('works in batches of p_limit', async () => {
    for (let i = 0; i < 3; i++) await caller({ known: false, age: DAYS + 1, contactErased: true });
    expect(await run(2)).toBe(2);
    expect(await run(2)).toBe(1);
    expect(await run(2)).toBe(0);
  });
});
