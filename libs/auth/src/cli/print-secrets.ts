import { loadConfigOrExit } from '@tether/config';
import { adminTokenWhereabouts, readGeneratedWebhookSecret } from '../development-secrets';

/**
 * `npm run secrets`: what a newcomer needs to drive the Tether `npm start` runs on this machine, read from the same
 * configuration, database and data directory: the development webhook secret (generated at the first start and kept
 * in the database) and where the generated admin token is. `npm run -s secrets -- --webhook-secret` prints the
 * secret alone, for scripts. Secrets set in the environment are named, not printed: whoever set them has them.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const onlyWebhookSecret = process.argv.includes('--webhook-secret');
  const webhook = config.webhookSecret ? undefined : await readGeneratedWebhookSecret(config);
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

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

main().catch((error: unknown) => {
  fail(`could not read the secrets: ${error instanceof Error ? error.message : String(error)}`);
});
