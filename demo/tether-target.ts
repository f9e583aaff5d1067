import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { developmentAdminToken, developmentWebhookSecret } from '@tether/auth';
import type { TetherConfig } from '@tether/config';
import type { DemoPrinter } from './demo-printer';
import { DEMO_LINES, type DemoLine } from './demo-seed';

/** The default lines' ports when `<LINE>_PORT` is not set (their `lines.default_port`). */
const DEFAULT_LINE_PORTS: Record<DemoLine, number> = { sales: 3001, presales: 3002, service: 3003 };

export interface TetherTarget {
  adminUrl: string;
  gatewayUrl: string;
  lineUrls: Record<DemoLine, string>;
  consoleUrl: string;
  adminToken: string;
  webhookSecret: string;
  /** whether the demo started this Tether (and stops it at the end) */
  startedHere: boolean;
  /** stops Tether if the demo started it (the data stays); nothing otherwise */
  stop(): Promise<void>;
}

/**
 * The Tether to drive: the one answering on the admin port (`npm start`), with its admin token and webhook secret
 * found the documented way (TETHER_ADMIN_TOKEN or the admin token file in the data directory; TETHER_WEBHOOK_SECRET
 * or the generated secret `npm run secrets` prints), or, when nothing answers, one started here from dist/ on the
 * same configuration and data directory, its log in `<data dir>/demo-tether.log`.
 */
export async function connectOrStartTether(
  config: TetherConfig,
  printer: DemoPrinter,
): Promise<TetherTarget> {
  const host = reachableHost(config.host);
  const url = (port: number) => `http://${host}:${port}`;
  const lineUrls = Object.fromEntries(
    DEMO_LINES.map((line) => [line, url(config.ports[line] ?? DEFAULT_LINE_PORTS[line])]),
  ) as Record<DemoLine, string>;
  const base = {
    adminUrl: url(config.ports.admin),
    gatewayUrl: url(config.ports.gateway),
    lineUrls,
    consoleUrl: `http://localhost:${config.ports.admin}/console`,
  };
  const healthUrls = [base.adminUrl, base.gatewayUrl, ...Object.values(lineUrls)].map((u) => `${u}/health`);

  let child: ChildProcess | undefined;
  let adminToken = developmentAdminToken(config);
  if (await answers(`${base.adminUrl}/health`)) {
    printer.event('tether', `found Tether on ${base.adminUrl}`);
    if (!adminToken)
      throw new Error(
        'no admin token: set TETHER_ADMIN_TOKEN to the one npm start printed at its first start ' +
          '(npm run secrets says where it is)',
      );
  } else {
    const log = join(config.dataDir, 'demo-tether.log');
    const env: NodeJS.ProcessEnv = { ...process.env };
    const oneOff = !adminToken;
    if (!adminToken) {
      // only the hash of a generated token is kept: without one at hand, this run brings its own
      adminToken = `demo-${randomBytes(24).toString('base64url')}`;
      env.TETHER_ADMIN_TOKEN = adminToken;
    }
    printer.event('tether', `nothing on ${base.adminUrl}: starting Tether (its log: ${log})`);
    // the mode Tether gives its data directory: as root, the postgres user must be able to enter it
    mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
    const out = openSync(log, 'a', 0o600);
    // its own process group: the terminal's Ctrl-C reaches only the demo, which stops Tether once its calls are done
    child = spawn(process.execPath, [resolve(__dirname, '../apps/standalone/src/main.js')], {
      env,
      stdio: ['ignore', out, out],
      detached: true,
    });
    const started = child;
    process.once('exit', () => started.exitCode === null && started.kill('SIGKILL'));
    await waitHealthy(healthUrls, started, log);
    if (oneOff) printer.event('tether', `started with a one-off admin token for this run: ${adminToken}`);
  }
  for (const health of healthUrls)
    if (!(await answers(health))) throw new Error(`${health} does not answer 200: is all of Tether running?`);

  const secret = await developmentWebhookSecret(config);
  if (!secret.value) throw new Error(`no webhook secret: ${secret.why ?? 'not found'}`);
  const started = child;
  return {
    ...base,
    adminToken,
    webhookSecret: secret.value,
    startedHere: started !== undefined,
    stop: async () => {
      if (!started || started.exitCode !== null) return;
      const exited = new Promise((done) => started.once('exit', done));
      started.kill('SIGINT');
      const timer = setTimeout(() => started.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Where to reach an app bound to `host`: a wildcard bind is reached on the loopback address. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function waitHealthy(urls: readonly string[], child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (const url of urls) {
    while (!(await answers(url))) {
      if (child.exitCode !== null) throw new Error(`Tether exited (code ${child.exitCode}): see ${log}`);
      if (Date.now() > deadline) throw new Error(`Tether did not answer ${url} within 3 minutes: see ${log}`);
      await new Promise((done) => setTimeout(done, 250));
    }
  }
}
