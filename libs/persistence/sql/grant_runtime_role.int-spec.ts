import { Client } from 'pg';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import {
  createTestDatabase,
  createTestRole,
  queryDatabase,
  SqlFixtures,
  TestDatabase,
  TestRole,
} from '@tether/testing';
import { createDataSource, dataSourceOptions } from '../src/data-source.factory';
import { MIGRATIONS } from '../src/migrations';
import { runMigrations } from '../src/run-migrations';

/** A migration of a later release, for the spec only: a table that did not exist when the role was first granted. */
class LaterTable1799999999999 implements MigrationInterface {
  name = 'LaterTable1799999999999';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE grant_spec_later (id bigserial PRIMARY KEY, note text)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE grant_spec_later`);
  }
}

/**
 * tether_grant_runtime_role (grant_runtime_role.sql), run by every migration run given a runtime role: the apps'
 * role can do the apps' work and nothing that changes the schema or the audit trail. Each refusal is asserted by its
 * message ("permission denied", "must be owner"), so a refusal that came from something else (the audit_log trigger,
 * a missing table) fails the test; the positive controls prove the role is not simply locked out.
 */
describe('tether_grant_runtime_role: the runtime role (real PostgreSQL)', () => {
  let db: TestDatabase;
  let role: TestRole;
  let app: Client;
  const sources: DataSource[] = [];

  const owner = <Row = Record<string, unknown>>(sql: string, params?: unknown[]) =>
    queryDatabase<Row>(db.url, sql, params);
  const asApp = async <Row = Record<string, unknown>>(sql: string, params?: unknown[]) =>
    (await app.query(sql, params)).rows as Row[];
  async function migrate(
    migrations: readonly (new () => MigrationInterface)[] = MIGRATIONS,
    runtimeRole = role.name,
  ) {
    const source = await new DataSource({
      ...dataSourceOptions(db.url, 2, 'grant-spec-migrate'),
      migrations: [...migrations],
    }).initialize();
    sources.push(source);
    return runMigrations(source, { runtimeRole });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    role = await createTestRole();
    const run = await migrate();
    expect(run.grantedTo).toBe(role.name);
    app = new Client({ connectionString: role.urlFor(db.url) });
    await app.connect();
  }, 60_000);
  afterAll(async () => {
    await app?.end();
    await Promise.all(sources.map((source) => source.destroy()));
    await db?.drop();
    await role?.drop();
  });

  describe('refused', () => {
    it.each([
      ['ALTER TABLE contacts ADD COLUMN x int', /must be owner of table contacts/],
      ['ALTER TABLE audit_log DISABLE TRIGGER ALL', /must be owner of table audit_log/],
      ['ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only', /must be owner of table audit_log/],
      ['DROP TABLE contacts', /must be owner of table contacts/],
      ['CREATE TABLE intruder (id int)', /permission denied for schema public/],
      ['CREATE INDEX intruder ON contacts (line)', /must be owner of table contacts/],
      [
        'CREATE TRIGGER intruder BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()',
        /permission denied for table contacts/,
      ],
      [
        `CREATE OR REPLACE FUNCTION tether_trace(p_text text) RETURNS jsonb LANGUAGE sql AS $$ SELECT '[]'::jsonb $$`,
        /permission denied for schema public|must be owner of function tether_trace/,
      ],
      ['SET session_replication_role = replica', /permission denied to set parameter/],
      ['TRUNCATE contacts', /permission denied for table contacts/],
    ])('%s', async (sql, refusal) => {
      await expect(asApp(sql)).rejects.toThrow(refusal);
    });

    it('UPDATE, DELETE and TRUNCATE on audit_log: by privilege, before the append-only trigger is reached', async () => {
      await owner(`INSERT INTO audit_log (actor, action, status) VALUES ('spec', 'POST /v1/agents', 201)`);
      for (const sql of [`UPDATE audit_log SET status = 200`, `DELETE FROM audit_log`, `TRUNCATE audit_log`])
        await expect(asApp(sql)).rejects.toThrow(/permission denied for table audit_log/);
      expect(await owner(`SELECT count(*)::int AS n FROM audit_log WHERE actor = 'spec'`)).toEqual([
        { n: 1 },
      ]);
    });

    it('writing the migrations’ bookkeeping, or granting itself more', async () => {
      await expect(
        asApp(`INSERT INTO schema_migrations (timestamp, name) VALUES (1, 'Forged1')`),
      ).rejects.toThrow(/permission denied for table schema_migrations/);
      await expect(asApp(`DELETE FROM sql_sources`)).rejects.toThrow(
        /permission denied for table sql_sources/,
      );
      await expect(asApp(`SELECT tether_grant_runtime_role($1)`, [role.name])).rejects.toThrow(
        /permission denied for function tether_grant_runtime_role/,
      );
      // what a process that waits for the schema reads
      expect((await asApp<{ n: number }>(`SELECT count(*)::int AS n FROM schema_migrations`))[0].n).toBe(
        MIGRATIONS.length,
      );
      expect((await asApp<{ n: number }>(`SELECT count(*)::int AS n FROM sql_sources`))[0].n).toBeGreaterThan(
        0,
      );
    });

    it('it owns nothing and holds no attribute beyond LOGIN', async () => {
      expect(
        await owner(
          `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
          [role.name],
        ),
      ).toEqual([{ n: 0 }]);
      expect(
        await owner(
          `SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = $1`,
          [role.name],
        ),
      ).toEqual([{ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false }]);
    });
  });

  describe('allowed: the apps’ work', () => {
    it('INSERT and SELECT on audit_log (the admin app’s trail)', async () => {
      const [{ id }] = await asApp<{ id: string }>(
        `INSERT INTO audit_log (actor, action, target, status) VALUES ('app', 'PATCH /v1/agents/:id', 'a1', 200)
         RETURNING id`,
      );
      expect(await asApp(`SELECT actor, status FROM audit_log WHERE id = $1`, [id])).toEqual([
        { actor: 'app', status: 200 },
      ]);
    });

    it('the SQL functions: a call received, queued, read and updated; a durable job scheduled', async () => {
      const [received] = await asApp<{ outcome: string; contact_id: string }>(
        `SELECT * FROM tether_receive_call('sales', 'grant-spec-call-1', '+15550001111', '+15550001111',
                                           '+15550000001', '{}', 0, '{}', 1, 'arrived', 'hung up first')`,
      );
      expect(received.outcome).toBe('created');
      expect(await asApp(`SELECT status, line FROM contacts WHERE id = $1`, [received.contact_id])).toEqual([
        { status: 'queued', line: 'sales' },
      ]);
      await asApp(`UPDATE contacts SET priority = 5 WHERE id = $1`, [received.contact_id]);
      expect(await owner(`SELECT priority FROM contacts WHERE id = $1`, [received.contact_id])).toEqual([
        { priority: 5 },
      ]);
      await asApp(`SELECT tether_schedule_job('agent.wrap-up-end', 'grant-spec-key', '{}'::jsonb, now())`);
      expect(
        await owner(`SELECT count(*)::int AS n FROM scheduled_jobs WHERE dedupe_key = 'grant-spec-key'`),
      ).toEqual([{ n: 1 }]);
    });

    it('the rows every lib writes (agents, presence, slots, connections, customers, contacts), and deletes', async () => {
      const fixtures = new SqlFixtures({ query: asApp });
      const agent = await fixtures.agent({ lines: ['sales'] });
      const contact = await fixtures.contact({ line: 'sales' });
      expect(await asApp(`SELECT count(*)::int AS n FROM agents WHERE id = $1`, [agent])).toEqual([{ n: 1 }]);
      await asApp(`DELETE FROM agent_connections WHERE agent_id = $1`, [agent]);
      await asApp(`DELETE FROM contacts WHERE id = $1`, [contact]);
      expect(await owner(`SELECT count(*)::int AS n FROM contacts WHERE id = $1`, [contact])).toEqual([
        { n: 0 },
      ]);
    });
  });

  describe('grants follow the schema', () => {
    it('a table a later migration run creates is usable by the runtime role when that run ends', async () => {
      const run = await migrate([...MIGRATIONS, LaterTable1799999999999]);
      expect(run).toMatchObject({ migrations: ['LaterTable1799999999999'], grantedTo: role.name });
      const [{ id }] = await asApp<{ id: string }>(
        `INSERT INTO grant_spec_later (note) VALUES ('a') RETURNING id`,
      );
      await asApp(`UPDATE grant_spec_later SET note = 'b' WHERE id = $1`, [id]);
      expect(await asApp(`SELECT note FROM grant_spec_later WHERE id = $1`, [id])).toEqual([{ note: 'b' }]);
      await asApp(`DELETE FROM grant_spec_later WHERE id = $1`, [id]);
      await expect(asApp(`ALTER TABLE grant_spec_later ADD COLUMN x int`)).rejects.toThrow(/must be owner/);
    });

    it('a table the owner creates between runs is usable through the default privileges', async () => {
      await owner(`CREATE TABLE grant_spec_between (id bigserial PRIMARY KEY, note text)`);
      await asApp(`INSERT INTO grant_spec_between (note) VALUES ('x')`);
      expect(await asApp(`SELECT note FROM grant_spec_between`)).toEqual([{ note: 'x' }]);
      await expect(asApp(`DROP TABLE grant_spec_between`)).rejects.toThrow(/must be owner/);
    });

    it('without a runtime role a run grants nothing (one role, development)', async () => {
      const source = await createDataSource(db.url, 2, 'grant-spec-plain').initialize();
      sources.push(source);
      expect((await runMigrations(source)).grantedTo).toBeUndefined();
    });
  });

  describe('refuses a runtime role that would void the promise', () => {
    it('one that does not exist', async () => {
      await expect(migrate(MIGRATIONS, 'tether_rt_nobody')).rejects.toThrow(
        /runtime role "tether_rt_nobody" does not exist/,
      );
    });

    it('a superuser (the one migrating, here)', async () => {
      const [{ user }] = await owner<{ user: string }>(`SELECT current_user AS user`);
      await expect(migrate(MIGRATIONS, user)).rejects.toThrow(/is a superuser/);
    });

    it('the owner of a table, or a member of its owner', async () => {
      const other = await createTestRole();
      try {
        await owner(`ALTER TABLE lines OWNER TO ${other.name}`);
        await expect(migrate(MIGRATIONS, other.name)).rejects.toThrow(/owns table lines/);
        await owner(`GRANT ${other.name} TO ${role.name}`);
        await expect(migrate(MIGRATIONS, role.name)).rejects.toThrow(
          /owns table lines \(or is a member of its owner\)/,
        );
      } finally {
        await owner(`REVOKE ${other.name} FROM ${role.name}`);
        await owner(`ALTER TABLE lines OWNER TO CURRENT_USER`);
        await owner(`REASSIGN OWNED BY ${other.name} TO CURRENT_USER`);
        await owner(`DROP OWNED BY ${other.name}`);
        await other.drop();
      }
      expect((await migrate()).grantedTo).toBe(role.name);
    });
  });
});
