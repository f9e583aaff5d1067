-- tether_grant_runtime_role(p_role): gives the apps' runtime role what the apps need and nothing more. The role
-- migrating (the schema's owner, current_user) calls it at the end of every migration run, under the migration
-- lock (runMigrations with `runtimeRole`), so every table a migration creates is granted in the same run; ALTER
-- DEFAULT PRIVILEGES covers a table the owner creates outside a run until the next one.
--
-- The runtime role gets: SELECT, INSERT, UPDATE, DELETE on the tables; INSERT and SELECT only on audit_log
-- (append-only: its trigger refuses UPDATE/DELETE/TRUNCATE for everyone, and the role lacks the privileges too);
-- SELECT only on schema_migrations and sql_sources (a process that does not migrate reads them to wait for the
-- schema); USAGE and SELECT on the sequences; EXECUTE on the functions, except this one. It owns nothing and gets
-- no TRUNCATE, REFERENCES, TRIGGER or CREATE, so it cannot ALTER, DROP or DISABLE TRIGGER on any table.
--
-- Refuses (raises) when the role does not exist, is a superuser, can act as the owner of the schema or of a table
-- in it (membership included), or can create in schema public after the revoke: each would void the promise.
-- Outcome: void; no codes. Locks: none beyond the catalog's (GRANT on every table is one statement here).

CREATE OR REPLACE FUNCTION tether_grant_runtime_role(p_role name) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_super boolean;
  v_owned text;
BEGIN
  SELECT rolsuper INTO v_super FROM pg_roles WHERE rolname = p_role;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'runtime role "%" does not exist: create it (CREATE ROLE % LOGIN PASSWORD ...) before migrating',
      p_role, p_role USING ERRCODE = 'undefined_object';
  END IF;
  IF v_super THEN
    RAISE EXCEPTION 'runtime role "%" is a superuser: the apps need a role that owns nothing', p_role;
  END IF;
  SELECT 'schema public' INTO v_owned FROM pg_namespace n
   WHERE n.nspname = 'public' AND pg_has_role(p_role, n.nspowner, 'MEMBER');
  IF v_owned IS NULL THEN
    SELECT format('table %s', c.relname) INTO v_owned
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
       AND pg_has_role(p_role, c.relowner, 'MEMBER')
     LIMIT 1;
  END IF;
  IF v_owned IS NOT NULL THEN
    RAISE EXCEPTION 'runtime role "%" owns % (or is a member of its owner): it must be a role of its own, not the one migrating',
      p_role, v_owned;
  END IF;

  IF NOT has_schema_privilege(p_role, 'public', 'USAGE') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', p_role);
  END IF;
  IF has_schema_privilege(p_role, 'public', 'CREATE') THEN
    EXECUTE format('REVOKE CREATE ON SCHEMA public FROM PUBLIC, %I', p_role);
  END IF;
  IF has_schema_privilege(p_role, 'public', 'CREATE') THEN
    RAISE EXCEPTION 'runtime role "%" can still create objects in schema public (through another role?)', p_role;
  END IF;

  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', p_role);
  EXECUTE format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM %I', p_role);
  EXECUTE format('REVOKE UPDATE, DELETE ON audit_log FROM %I', p_role);
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON schema_migrations, sql_sources FROM %I', p_role);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', p_role);
  EXECUTE format('REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA public FROM %I', p_role);
  EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO %I', p_role);
  EXECUTE format('REVOKE EXECUTE ON FUNCTION tether_grant_runtime_role(name) FROM %I', p_role);

  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', p_role);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', p_role);
END
$fn$;

REVOKE EXECUTE ON FUNCTION tether_grant_runtime_role(name) FROM PUBLIC;
