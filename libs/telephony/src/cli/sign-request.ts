import { parseArgs } from 'node:util';
import { developmentWebhookSecret } from '@tether/auth';
import { loadConfigOrExit } from '@tether/config';
import { SIGNATURE_TOLERANCE_SECONDS, signatureHeader } from '../webhook-signature';

/** The default lines' ports when `<LINE>_PORT` is not set (their `lines.default_port`). */
const DEFAULT_LINE_PORTS: Record<string, number> = { sales: 3001, presales: 3002, service: 3003 };

const USAGE = `usage: npm run sign -- <METHOD> <path and query> ['<raw body>'] [--line service | --url http://host:port] [--header-only]

Prints the X-Tether-Signature header for the request (and a curl line that sends it), signed with the webhook secret
of the Tether on this machine: TETHER_WEBHOOK_SECRET when set, else the generated development secret (npm start's).
The signature covers the method, the path exactly as given (with its query) and the body byte for byte, and is good
for ${SIGNATURE_TOLERANCE_SECONDS} s. --header-only prints the header's value alone, for scripts.

  npm run sign -- POST /v1/telephony/calls '{"callId":"CA1","from":"+15551230001","to":"+15550000001"}'
  npm run sign -- GET /v1/telephony/calls/CA1
`;

/**
 * `npm run sign`: signs a request to a line app the way a telephony platform must (docs/contract.md), so "Try it by
 * hand" needs neither openssl nor the database. Uses the product's own signer, the one the line apps verify with.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      line: { type: 'string', default: 'service' },
      url: { type: 'string' },
      'header-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [rawMethod, path, body = '', ...extra] = positionals;
  if (!rawMethod || !path || extra.length > 0) fail(USAGE);
  const method = rawMethod.toUpperCase();
  if (!/^[A-Z]+$/.test(method)) fail(`not an HTTP method: ${rawMethod}\n\n${USAGE}`);
  if (!path.startsWith('/')) fail(`the path must start with / (path and query as sent): ${path}\n\n${USAGE}`);
  if (method === 'GET' && body !== '') fail('a GET has no body: the signature covers an empty one');

  const config = loadConfigOrExit(process.env, { apps: [values.line] });
  const secret = await developmentWebhookSecret(config);
  if (!secret.value) fail(`no webhook secret: ${secret.why ?? 'not found'}`);
  const header = signatureHeader(secret.value, { method, path, rawBody: body });
  if (values['header-only']) {
    process.stdout.write(`${header}\n`);
    return;
  }
  const port = config.ports[values.line] ?? DEFAULT_LINE_PORTS[values.line];
  const base = (values.url ?? `http://localhost:${port ?? `<${values.line} port>`}`).replace(/\/+$/, '');
  const curl = [
    'curl -s',
    method === 'GET' ? '' : `-X ${method}`,
    `-H ${shellQuote(`X-Tether-Signature: ${header}`)}`,
    body === '' ? '' : `-H 'content-type: application/json' --data-raw ${shellQuote(body)}`,
    shellQuote(`${base}${path}`),
  ].filter(Boolean);
  const from = config.webhookSecret ? 'TETHER_WEBHOOK_SECRET' : 'the generated development secret';
  process.stdout.write(
    [
      `X-Tether-Signature: ${header}`,
      `# signed with ${from}; good for ${SIGNATURE_TOLERANCE_SECONDS} s, for exactly this method, path and body`,
      curl.join(' '),
      '',
    ].join('\n'),
  );
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function fail(message: string): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(2);
}

main().catch((error: unknown) => {
  process.stderr.write(`could not sign: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
