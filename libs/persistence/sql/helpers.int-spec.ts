import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** The generic helpers tether_trace (trace.sql) and tether_epoch_ms (epoch_ms.sql), on the real PostgreSQL. */
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
});
