import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** The login role `npm start`'s apps use on the embedded PostgreSQL (the production split, on one machine). */
export const EMBEDDED_RUNTIME_ROLE = 'tether_app';

/**
 * The embedded default has both roles, like a production database: the cluster's superuser (`postgres`, whose URL
 * `startEmbeddedPostgres` returns) owns the schema and migrates; the apps' pool connects as `tether_app`, a login
 * role that owns nothing (its grants come from every migration run: `tether_grant_runtime_role`). Creates the role
 * when missing (a data dir from before it existed included) and sets its password from
 * `<dataDir>/postgres-app.password`, generated once and readable by its owner only. Returns the apps' URL.
 */
export async function ensureEmbeddedRuntimeRole(ownerUrl: string, dataDir: string): Promise<string> {
  const file = join(dataDir, 'postgres-app.password');
  let password = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!password) {
    password = randomBytes(18).toString('base64url');
    writeFileSync(file, password, { mode: 0o600 });
  }
  chmodSync(file, 0o600); // an older file, or a umask that widened it
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [
      EMBEDDED_RUNTIME_ROLE,
    ]);
    const verb = rowCount ? 'ALTER' : 'CREATE';
    await client.query(
      `${verb} ROLE ${EMBEDDED_RUNTIME_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
        `PASSWORD ${client.escapeLiteral(password)}`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(ownerUrl);
  url.username = EMBEDDED_RUNTIME_ROLE;
  url.password = encodeURIComponent(password);
  return url.toString();
}
