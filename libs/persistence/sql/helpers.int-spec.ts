import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * The generic helpers tether_trace (trace.sql), tether_epoch_ms (epoch_ms.sql) and tether_new_id (new_id.sql), on the
 * real PostgreSQL.
 */
describe('persistence SQL helpers', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  describe('tether_trace', () => {
    it('is one entry shaped like the application trace: ISO-8601 UTC in milliseconds, and the text', async () => {
      const before = Date.now();
      const row = await db.one<{ trace: { at: string; text: string }[] }>(
        `SELECT tether_trace('hello') AS trace`,
      );
      expect(row!.trace).toHaveLength(1);
      expect(row!.trace[0].text).toBe('hello');
      expect(row!.trace[0].at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const at = Date.parse(row!.trace[0].at);
      expect(at).toBeGreaterThanOrEqual(before - 1000);
      expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it("takes the moment of the step, not the transaction's start (clock_timestamp)", async () => {
      const session = await db.session();
      try {
        await session.query('BEGIN');
        const [first] = await session.query<{ at: string }>(`SELECT tether_trace('a') -> 0 ->> 'at' AS at`);
        await session.query('SELECT pg_sleep(0.02)');
        const [second] = await session.query<{ at: string }>(`SELECT tether_trace('b') -> 0 ->> 'at' AS at`);
        await session.query('COMMIT');
        expect(Date.parse(second.at) - Date.parse(first.at)).toBeGreaterThanOrEqual(15);
      } finally {
        await session.end();
      }
    });
  });

  describe('tether_epoch_ms', () => {
    it("is a JavaScript Date's getTime(): milliseconds since the epoch, microseconds truncated", async () => {
      const rows = await db.query<{ ms: string }>(
        `SELECT tether_epoch_ms(t)::text AS ms
           FROM unnest(ARRAY['2026-01-02T03:04:05.678999Z', '2026-01-02T03:04:05Z', '1970-01-01T00:00:00.001Z']::timestamptz[]) t`,
      );
      expect(rows.map((row) => Number(row.ms))).toEqual([
        Date.parse('2026-01-02T03:04:05.678Z'),
        Date.parse('2026-01-02T03:04:05.000Z'),
        1,
      ]);
    });

    it('round-trips a JavaScript Date, and is IMMUTABLE', async () => {
      const at = new Date('2026-07-14T10:11:12.345Z');
      expect(await db.one(`SELECT tether_epoch_ms($1)::text AS ms`, [at])).toEqual({
        ms: String(at.getTime()),
      });
      expect(await db.one(`SELECT provolatile FROM pg_proc WHERE proname = 'tether_epoch_ms'`)).toEqual({
        provolatile: 'i',
      });
    });
  });

  describe('tether_new_id', () => {
    const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    /** the Unix milliseconds a version-7 id starts with (its first 48 bits) */
    const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

    it('is a UUID version 7 (RFC 9562 variant) that starts with the Unix time in milliseconds', async () => {
      const before = Date.now();
      const rows = await db.query<{ id: string }>(
        `SELECT tether_new_id()::text AS id FROM generate_series(1, 500)`,
      );
      const after = Date.now();
      expect(new Set(rows.map((row) => row.id)).size).toBe(500);
      for (const { id } of rows) {
        expect(id).toMatch(V7);
        expect(msOf(id)).toBeGreaterThanOrEqual(before - 1000);
        expect(msOf(id)).toBeLessThanOrEqual(after + 1000);
      }
    });

    it('orders by time: an id made later sorts after one made earlier, in the same transaction too', async () => {
      const session = await db.session();
      try {
        await session.query('BEGIN');
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await session.query<{ id: string }>(`SELECT tether_new_id()::text AS id`))[0].id);
          await session.query('SELECT pg_sleep(0.003)');
        }
        await session.query('COMMIT');
        const sorted = await db.query<{ id: string }>(
          `SELECT id::text FROM unnest($1::uuid[]) id ORDER BY id`,
          [[...ids].reverse()],
        );
        expect(sorted.map((row) => row.id)).toEqual(ids);
        expect(msOf(ids[4]) - msOf(ids[0])).toBeGreaterThanOrEqual(12);
      } finally {
        await session.end();
      }
    });

    it("is the default id of every table whose id Tether makes, and a new row's id is one", async () => {
      const defaults = await db.query<{ table: string; fallback: string }>(
        `SELECT table_name AS table, column_default AS fallback FROM information_schema.columns
          WHERE table_schema = current_schema() AND column_name = 'id' AND data_type = 'uuid'
            AND column_default IS NOT NULL ORDER BY table_name`,
      );
      expect(defaults.length).toBeGreaterThanOrEqual(13);
      expect(defaults.filter((row) => row.fallback !== 'tether_new_id()')).toEqual([]);
      const customer = await db.one<{ id: string }>(
        `INSERT INTO customers (known) VALUES (false) RETURNING id::text`,
      );
      expect(customer!.id).toMatch(V7);
    });
  });
});
