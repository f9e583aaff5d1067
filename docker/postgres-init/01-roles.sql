-- Tether's two database roles, created once on an empty data volume (the postgres image runs
-- /docker-entrypoint-initdb.d/*.sql with psql as the cluster's superuser, POSTGRES_USER, in POSTGRES_DB).
--
--   tether      the schema owner: owns the database (so its schema public), runs the migrations. Not a superuser.
--               Only the admin app and the one-shot `migrate` service connect as it (DATABASE_MIGRATION_URL).
--   tether_app  the runtime role every app's pool uses (DATABASE_URL). Owns nothing: each migration run grants it
--               SELECT/INSERT/UPDATE/DELETE on the tables, INSERT/SELECT only on audit_log
--               (libs/persistence/sql/grant_runtime_role.sql), so it cannot ALTER, DROP or DISABLE TRIGGER.
--
-- Passwords come from the service's environment (docker/compose.yml); psql >= 15 reads them with \getenv, and a
-- missing one leaves the variable unset, which fails the script (ON_ERROR_STOP) instead of creating a role
-- without a password. An existing volume is not initialised again: see docker/README.md, "Database roles".
\getenv owner_password TETHER_DB_OWNER_PASSWORD
\getenv app_password TETHER_DB_APP_PASSWORD
\getenv database POSTGRES_DB

CREATE ROLE tether LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_password';
CREATE ROLE tether_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';

ALTER DATABASE :"database" OWNER TO tether;
-- PostgreSQL 15+ already refuses CREATE in public to PUBLIC; said here so no other default can creep in
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
