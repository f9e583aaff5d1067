import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createDataSource, inTransaction, rows, runMigrations } from '@tether/persistence';
import { createTestDatabase, TestDatabase, waitFor } from '@tether/testing';
import { LINES_CACHE_TTL_MS, LineDirectory } from './line-directory';
import { LineNotDefined, UnknownLines } from './line.errors';
import { lineLockKey } from './line-lock-key';

/** The `lines` table against a real PostgreSQL with the real migrations, and the directory that reads it. */
describe('lines (real PostgreSQL)', () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    source = await createDataSource(db.url, 4).initialize();
    await runMigrations(source);
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });
  afterEach(() => jest.restoreAllMocks());

  const query = <T>(sql: string, params: unknown[] = []) => rows<T>(source.manager, sql, params);

  describe('the migration', () => {
    it('seeds the three default lines with their contract ports', async () => {
      expect(await query(`SELECT name, title, default_port FROM lines ORDER BY default_port`)).toEqual([
        { name: 'sales', title: 'Sales', default_port: 3001 },
        { name: 'presales', title: 'Presales', default_port: 3002 },
        { name: 'service', title: 'Service', default_port: 3003 },
      ]);
    });

    it('replaces the CHECK lists of lines with foreign keys to lines', async () => {
      const constraints = await query<{ table: string; name: string; type: string; definition: string }>(
        `SELECT conrelid::regclass::text AS table, conname AS name, contype AS type,
                pg_get_constraintdef(oid) AS definition
           FROM pg_constraint
          WHERE conrelid IN ('line_routing'::regclass, 'contacts'::regclass, 'offers'::regclass)`,
      );
      expect(constraints.filter((c) => /presales/.test(c.definition))).toEqual([]);
      expect(
        constraints
          .filter((c) => c.type === 'f' && /REFERENCES lines\(name\)/.test(c.definition))
          .map((c) => `${c.table}.${c.name}`)
          .sort(),
      ).toEqual([
        'contacts.contacts_line_fkey',
        'line_routing.line_routing_line_fkey',
        'offers.offers_line_fkey',
      ]);
    });

    it('refuses rules for a line that is not a row, accepts them once it is', async () => {
      const insertRules = `INSERT INTO line_routing (line, rules) VALUES ('fx', '{}')`;
      await expect(query(insertRules)).rejects.toThrow(/line_routing_line_fkey/);
      await query(`INSERT INTO lines (name, title) VALUES ('fx', 'FX desk')`);
      await query(insertRules);
      await query(`DELETE FROM line_routing WHERE line = 'fx'`);
      await query(`DELETE FROM lines WHERE name = 'fx'`);
    });

    it('keeps line names plain (they become <NAME>_PORT and a lock key)', async () => {
      for (const name of ['Billing', 'bill-ing', '1st', '', 'x'.repeat(33)])
        await expect(query(`INSERT INTO lines (name, title) VALUES ($1, 'x')`, [name])).rejects.toThrow(
          /lines_name_format/,
        );
      await expect(
        query(`INSERT INTO lines (name, title, default_port) VALUES ('bad_port', 'x', 70000)`),
      ).rejects.toThrow(/lines_default_port_range/);
    });
  });

  describe('LineDirectory', () => {
    it('lists the defined lines and finds one by name', async () => {
      const directory = new LineDirectory(source);
      expect((await directory.names()).sort()).toEqual(['presales', 'sales', 'service']);
      expect(await directory.find('sales')).toEqual({
        name: 'sales',
        title: 'Sales',
        defaultPort: 3001,
        createdAt: expect.any(String),
      });
      expect(await directory.find('nope')).toBeUndefined();
      expect(await directory.find("sales' OR 1=1")).toBeUndefined();
    });

    it('a line added after the first read is found at once (a miss reads again), and listed after the TTL (read in the background)', async () => {
      const directory = new LineDirectory(source);
      expect(await directory.names()).not.toContain('billing');
      await query(`INSERT INTO lines (name, title) VALUES ('billing', 'Billing')`);
      try {
        expect(await directory.require('billing')).toMatchObject({ name: 'billing', defaultPort: null });
        await directory.assertDefined(['billing', 'sales']);

        const later = new LineDirectory(source);
        await later.names();
        await query(`INSERT INTO lines (name, title) VALUES ('billing_2', 'Billing 2')`);
        expect(await later.names()).not.toContain('billing_2'); // cached
        const now = Date.now();
        jest.spyOn(Date, 'now').mockReturnValue(now + LINES_CACHE_TTL_MS + 1);
        // past the TTL the known lines answer at once while a read runs in the background (a stalled database
        // must not hold up the routing sweep); the next answer has the new line
        expect(await later.names()).not.toContain('billing_2');
        await waitFor(async () => (await later.names()).includes('billing_2'), {
          what: 'the background read to list billing_2',
        });
      } finally {
        await query(`DELETE FROM lines WHERE name IN ('billing', 'billing_2')`);
      }
    });

    it('an unknown line: LineNotDefined (404 line_not_found) saying how to add it', async () => {
      const error = await new LineDirectory(source).require('marketing').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LineNotDefined);
      expect(error).toMatchObject({ code: 'line_not_found', kind: 'not_found' });
      expect((error as Error).message).toMatch(/^line marketing is not defined: add it to the lines table/);
      expect((error as Error).message).toMatch(/defined lines: .*sales/);
    });

    it('unknown agent lines: UnknownLines (400) naming the field and the lines not defined', async () => {
      const error = await new LineDirectory(source)
        .assertDefined(['sales', 'nope', 'nope', 'x y'])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownLines);
      expect(error).toMatchObject({ code: 'validation_failed', kind: 'invalid', unknown: ['nope', 'x y'] });
      expect((error as Error).message).toMatch(
        /^lines must contain only defined lines \(.*\); not defined: nope, "x y"$/,
      );
    });

    it('reads the table once for concurrent callers', async () => {
      const directory = new LineDirectory(source);
      const spy = jest.spyOn(source.manager, 'query');
      await Promise.all([directory.names(), directory.list(), directory.find('service')]);
      expect(spy).toHaveBeenCalledTimes(1);
    });
  });

  it("a routing pass holds the advisory lock derived from its line's name", async () => {
    const key = lineLockKey('presales');
    await inTransaction(source, async (tx) => {
      await tx.query(`SELECT tether_routing_snapshot($1, $2, 1, 1, 1, false)`, ['presales', key]);
      const [held] = await rows<{ key: string }>(
        tx,
        `SELECT ((classid::bigint << 32) | objid::bigint)::text AS key FROM pg_locks
          WHERE locktype = 'advisory' AND objsubid = 1 AND pid = pg_backend_pid()`,
      );
      expect(BigInt(held.key)).toBe(key);
    });
  });

  it('the migration goes down to the CHECK lists and up again (last: it changes the schema)', async () => {
    // undo the lines migration and every one after it, newest first
    const undone: string[] = [];
    while (!undone.includes('LinesTable1764000700000')) {
      const [last] = await rows<{ name: string }>(
        source.manager,
        `SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1`,
      );
      await source.undoLastMigration({ transaction: 'all' });
      undone.unshift(last.name);
    }
    expect(await query(`SELECT to_regclass('lines') AS t`)).toEqual([{ t: null }]);
    await expect(query(`INSERT INTO line_routing (line, rules) VALUES ('fx', '{}')`)).rejects.toThrow(
      /line_routing_line_check/,
    );
    expect((await runMigrations(source)).migrations).toEqual(undone);
    expect(await query(`SELECT count(*)::int AS n FROM lines`)).toEqual([{ n: 3 }]);
  });
});
