import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, queryDatabase, TestDatabase, waitFor } from '@tether/testing';
import { createDataSource } from './data-source.factory';
import { MIGRATION_LOCK_KEY, MigrationRun, runMigrations } from './run-migrations';
import { readSqlSources, SQL_SOURCES_ROOT } from './sql-sources';

/**
 * The repeatable SQL step against the real PostgreSQL: a changed .sql file is applied at the next run (and only
 * it), under the migration lock, all or nothing; a database that ran an early version of the functions is brought
 * to the current one.
 */
describe('SQL sources step (real PostgreSQL)', () => {
  let db: TestDatabase;
  let root: string;
  const sources: DataSource[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    // a copy of every lib's sql/ folder (the .sql files only), to change without touching the repository
    root = mkdtempSync(join(tmpdir(), 'tether-sql-sources-'));
    for (const source of readSqlSources()) {
      const [lib, file] = source.path.split('/');
      cpSync(join(SQL_SOURCES_ROOT, lib, 'sql', file), join(root, lib, 'sql', file));
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(sources.map((source) => source.destroy()));
    rmSync(root, { recursive: true, force: true });
    await db?.drop();
  });

  async function run(sqlRoot = root): Promise<MigrationRun> {
    const source = await createDataSource(db.url, 2, 'sql-sources-spec').initialize();
    sources.push(source);
    return runMigrations(source, { sqlRoot });
  }
  const query = <Row = Record<string, unknown>>(sql: string, params?: unknown[]) =>
    queryDatabase<Row>(db.url, sql, params);
  const recorded = async () =>
    new Map(
      (await query<{ path: string; checksum: string; applied_at: Date }>(`SELECT * FROM sql_sources`)).map(
        (row) => [row.path, row],
      ),
    );
  const source = (path: string) => join(root, ...path.replace('/', '/sql/').split('/'));
  const edit = (path: string, from: string, to: string) => {
    const text = readFileSync(source(path), 'utf8');
    if (!text.includes(from)) throw new Error(`${path} has no ${from}`);
    writeFileSync(source(path), text.replace(from, to));
  };
  const sha256 = (path: string) =>
    createHash('sha256')
      .update(readFileSync(source(path)))
      .digest('hex');
  const prosrc = async (name: string) =>
    (await query<{ src: string }>(`SELECT prosrc AS src FROM pg_proc WHERE proname = $1`, [name]))[0].src;

  it('a fresh database: the migrations, then every file in lib order, each recorded with its checksum', async () => {
    const applied = await run();
    expect(applied.migrations).toContain('SqlSourceRegistry1764000600000');
    const paths = readSqlSources(root).map((s) => s.path);
    expect(applied.sqlSources).toEqual(paths);
    expect(paths.slice(0, 8)).toEqual([
      'persistence/epoch_ms.sql',
      'persistence/grant_runtime_role.sql',
      'persistence/new_id.sql',
      'persistence/trace.sql',
      'scheduler/cancel_job.sql',
      'scheduler/hasten_job.sql',
      'scheduler/schedule_job.sql',
      'customers/erase_expired_caller_identities.sql',
    ]);
    expect(paths.slice(8, 10)).toEqual(['customers/identify_customer.sql', 'customers/recent_contacts.sql']);
    expect(paths).toContain('contacts/receive_call.sql');
    const rows = await recorded();
    expect([...rows.keys()].sort()).toEqual([...paths].sort());
    for (const path of paths) expect(rows.get(path)!.checksum).toBe(sha256(path));

    expect(await run()).toEqual({ migrations: [], sqlSources: [] });
  });

  it('a changed file is applied at the next run, and only it', async () => {
    const before = await recorded();
    edit('persistence/trace.sql', `'text', p_text))`, `'text', 'v2: ' || p_text))`);

    expect(await run()).toEqual({ migrations: [], sqlSources: ['persistence/trace.sql'] });
    expect(await prosrc('tether_trace')).toContain(`'v2: ' || p_text`);
    expect(await query(`SELECT tether_trace('hello') -> 0 ->> 'text' AS text`)).toEqual([
      { text: 'v2: hello' },
    ]);

    const after = await recorded();
    expect(after.get('persistence/trace.sql')!.checksum).toBe(sha256('persistence/trace.sql'));
    expect(after.get('persistence/trace.sql')!.checksum).not.toBe(
      before.get('persistence/trace.sql')!.checksum,
    );
    expect(after.get('persistence/trace.sql')!.applied_at.getTime()).toBeGreaterThan(
      before.get('persistence/trace.sql')!.applied_at.getTime(),
    );
    for (const [path, row] of after)
      if (path !== 'persistence/trace.sql') expect(row).toEqual(before.get(path)); // not applied again
  });

  it('a second runner waits on the lock and applies nothing twice', async () => {
    edit('persistence/epoch_ms.sql', 'SELECT floor(', 'SELECT /* v2 */ floor(');
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const runs = [run(), run()];
      await waitFor(
        async () =>
          (
            await query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
              [db.name],
            )
          )[0].n === 2,
        { what: 'both runners to wait on the migration lock' },
      );
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      const results = await Promise.all(runs);
      expect(results.map((r) => r.sqlSources).sort()).toEqual([[], ['persistence/epoch_ms.sql']]);
      expect(await prosrc('tether_epoch_ms')).toContain('/* v2 */');
    } finally {
      await holder.end();
    }
  });

  it('all or nothing: a file that fails names itself, and no other change of that run is applied', async () => {
    const before = await recorded();
    edit('persistence/trace.sql', `'v2: '`, `'v3: '`);
    edit('contacts/call_row.sql', 'RETURN QUERY', 'RETURN QUERY oops');

    await expect(run()).rejects.toThrow(/SQL source contacts\/call_row\.sql failed: .*syntax error/);
    expect(await prosrc('tether_trace')).toContain(`'v2: '`);
    expect(await recorded()).toEqual(before);

    edit('contacts/call_row.sql', 'RETURN QUERY oops', 'RETURN QUERY');
    expect((await run()).sqlSources).toEqual(['persistence/trace.sql']);
  });

  it('a file removed loses its row (its function stays until a migration drops it); back, it is applied again', async () => {
    const text = readFileSync(source('contacts/end_offer.sql'));
    unlinkSync(source('contacts/end_offer.sql'));
    expect((await run()).sqlSources).toEqual([]);
    expect((await recorded()).has('contacts/end_offer.sql')).toBe(false);
    writeFileSync(source('contacts/end_offer.sql'), text);
    expect((await run()).sqlSources).toEqual(['contacts/end_offer.sql']);
  });

  it('an empty tree is an error (a build that did not copy the files), not "nothing to do"', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tether-sql-empty-'));
    try {
      await expect(run(empty)).rejects.toThrow(/no SQL sources under/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a database that ran the first version of the hot-path functions gets the current ones', async () => {
    // what migration 1764000400000 created before it was edited in place: accept without callback_body, a
    // three-argument routing snapshot; and no sql_sources rows (the registry is new to such a database)
    await query(`
      DROP FUNCTION tether_accept_offer(uuid, uuid, text);
      CREATE FUNCTION tether_accept_offer(p_agent uuid, p_offer uuid, p_callback_url text)
      RETURNS TABLE (outcome text, contact_id uuid, line text, state text, end_reason text, callback_id uuid)
      LANGUAGE plpgsql AS $fn$ BEGIN END $fn$;
      CREATE FUNCTION tether_routing_snapshot(p_line text, p_lock_key bigint, p_agent_limit int)
      RETURNS json LANGUAGE plpgsql AS $fn$ BEGIN RETURN NULL; END $fn$;
      DELETE FROM sql_sources;
    `);
    expect((await run()).sqlSources).toEqual(readSqlSources(root).map((s) => s.path));
    expect(
      await query(
        `SELECT pg_get_function_result('tether_accept_offer(uuid, uuid, text)'::regprocedure) AS result`,
      ),
    ).toEqual([{ result: expect.stringContaining('callback_body jsonb') as string }]);
    expect(
      await query(
        `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p WHERE proname = 'tether_routing_snapshot'`,
      ),
    ).toEqual([{ signature: 'tether_routing_snapshot(text,bigint,integer,integer,integer,boolean)' }]);
  });
});
