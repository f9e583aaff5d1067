import { existsSync, readFileSync } from 'node:fs';
import { Client } from 'pg';
import type { TetherConfig } from '@tether/config';
import { embeddedPostgresUrl, startEmbeddedPostgres } from '@tether/persistence';
import { adminTokenFilePath } from './admin-token-file';

/*
 * What a newcomer's tools (`npm run secrets`, `npm run sign`, `npm run demo`) read to drive the Tether that
 * `npm start` runs on this machine: the same configuration, database and data directory.
 */

/** The development webhook secret (generated at the first start and kept in `settings`), or why there is none. */
export async function readGeneratedWebhookSecret(
  config: TetherConfig,
): Promise<{ value?: string; why?: string }> {
  const url = config.databaseUrl ?? embeddedPostgresUrl(config.dataDir, config.embeddedPgPort);
  if (!url)
    return {
      why: `no database in ${config.dataDir} yet: start Tether once (npm start), then run this again`,
    };
  const read = async (databaseUrl: string) => {
    const client = new Client({ connectionString: databaseUrl, application_name: 'tether-secrets' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const result = await client.query<{ value: string }>(
        `SELECT value FROM settings WHERE key = 'webhook_secret'`,
      );
      return result.rows[0]?.value;
    } finally {
      await client.end();
    }
  };
  let value: string | undefined;
  try {
    value = await read(url);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42P01') return { why: 'the database has no settings yet: start Tether once (npm start)' };
    if (config.databaseUrl || code !== 'ECONNREFUSED') throw error;
    // npm start is not running: start its embedded PostgreSQL for the moment it takes to read
    const embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort);
    try {
      value = await read(embedded.url);
    } finally {
      await embedded.stop();
    }
  }
  return value ? { value } : { why: 'none generated yet: start Tether once (npm start)' };
}

/** The webhook secret that signs for this configuration: the environment's, else the generated one. */
export async function developmentWebhookSecret(
  config: TetherConfig,
): Promise<{ value?: string; why?: string }> {
  return config.webhookSecret ? { value: config.webhookSecret } : readGeneratedWebhookSecret(config);
}

/** The admin token a tool can use: `TETHER_ADMIN_TOKEN`, else the generated one's file in the data directory. */
export function developmentAdminToken(config: TetherConfig): string | undefined {
  if (config.adminToken) return config.adminToken;
  const file = adminTokenFilePath(config.dataDir);
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').trim() || undefined;
}

/** Where the admin token is, in words (it is never printed). */
export function adminTokenWhereabouts(config: TetherConfig): string {
  if (config.adminToken) return 'TETHER_ADMIN_TOKEN, set in your environment';
  const file = adminTokenFilePath(config.dataDir);
  if (existsSync(file)) return `in ${file} (readable only by its owner: cat it)`;
  return (
    'shown on the terminal at the first start (only its hash is kept). Lost it? Start with ' +
    'TETHER_ADMIN_TOKEN=<your own, at least 16 characters>: that one is accepted instead'
  );
}
