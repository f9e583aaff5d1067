import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { TetherConfig, loadConfigOrExit } from '@tether/config';
import { embeddedPostgresUrl, startEmbeddedPostgres } from '@tether/persistence';
import { adminTokenFilePath } from '../admin-token-file';

/**
 * `npm run secrets`: what a newcomer needs to drive the Tether `npm start` runs on this machine, read from the same
 * configuration, database and data directory: the development webhook secret (generated at the first start and kept
 * in the database) and where the generated admin token is. `npm run -s secrets -- --webhook-secret` prints the
 * secret alone, for scripts. Secrets set in the environment are named, not printed: whoever set them has them.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const onlyWebhookSecret = process.argv.includes('--webhook-secret');
  const webhook = config.webhookSecret ? undefined : await generatedWebhookSecret(config);
  if (onlyWebhookSecret) {
    if (config.webhookSecret) fail('TETHER_WEBHOOK_SECRET is set in your environment: that is the secret');
    if (!webhook?.value) fail(webhook?.why ?? 'no webhook secret found');
    process.stdout.write(`${webhook.value}\n`);
    return;
  }
  const lines = [`Tether's development secrets (data directory ${config.dataDir}):`];
  if (config.webhookSecret) lines.push('  webhook secret: TETHER_WEBHOOK_SECRET, set in your environment');
  else if (webhook?.value)
    lines.push(
      `  webhook secret: ${webhook.value}`,
      '                  (signs X-Tether-Signature; README: "Try it by hand")',
    );
  else lines.push(`  webhook secret: ${webhook?.why ?? 'not found'}`);
  lines.push(`  admin token:    ${adminTokenWhereabouts(config)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The generated webhook secret from `settings`, or why there is none to read. */
async function generatedWebhookSecret(config: TetherConfig): Promise<{ value?: string; why?: string }> {
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

function adminTokenWhereabouts(config: TetherConfig): string {
  if (config.adminToken) return 'TETHER_ADMIN_TOKEN, set in your environment';
  const file = adminTokenFilePath(config.dataDir);
  if (existsSync(file)) return `in ${file} (readable only by its owner: cat it)`;
  return (
    'shown on the terminal at the first start (only its hash is kept). Lost it? Start with ' +
    'TETHER_ADMIN_TOKEN=<your own, at least 16 characters>: that one is accepted instead'
  );
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

main().catch((error: unknown) => {
  fail(`could not read the secrets: ${error instanceof Error ? error.message : String(error)}`);
});
