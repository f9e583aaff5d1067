import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './bench-cli';
import { freePort, startNode, waitHealthy } from './child-process';
import { postmasterProcesses } from './proc-stats';
import { BENCH_SECRETS, type Standalone } from './tether-processes';

/**
 * What the as-shipped runs set beyond `npm start`'s defaults, and why; printed with their figures.
 *
 * - the ports (the five apps' and the embedded PostgreSQL's): free ones instead of 3000-3005/5439, which another
 *   Tether on the machine may hold; where a server listens costs nothing;
 * - TETHER_DATA_DIR: a fresh directory per run (a first start, as `npm ci && npm start` in a fresh clone);
 * - TETHER_TELEPHONY_CALLBACK_URL: where `contact.connected` goes (the load generator's receiver);
 * - two per-address limits the single-address load generator would otherwise hit while it sets up (it creates its
 *   agents through the admin API and connects them all at once); the webhook and per-socket event limits, the ones
 *   on the measured path, stay at their defaults.
 */
export const AS_SHIPPED_LIFTED_LIMITS: Readonly<Record<string, string>> = {
  TETHER_ADMIN_RATE_LIMIT_PER_SECOND: '1000000',
  TETHER_SOCKET_HANDSHAKES_PER_SECOND: '1000000',
};

export interface ShippedTether extends Standalone {
  /** the generated admin token, read from `<data dir>/admin-token` as a user without a terminal finds it */
  adminToken: string;
  /** the generated development webhook secret, read with `npm run secrets -- --webhook-secret` */
  webhookSecret: string;
  /** embedded PostgreSQL's processes (the postmaster Tether started and its children) */
  postgresPids: () => number[];
  /** from spawning the process to all five apps answering /health */
  startMs: number;
  /** every process whose CPU counts as Tether's, when more than `process` (the cluster) */
  pids?: () => number[];
  /**
   * the embedded database as its superuser (`postgres`, the password Tether generated beside it), for a bench
   * fixture; not how Tether itself connects (it uses the `tether_app` role)
   */
  superuserUrl?: string;
}

const run = promisify(execFile);

/**
 * `npm start` without its build step (the bench runner built dist): `node dist/apps/standalone/src/main.js` with
 * the default environment (no NODE_ENV, LOG_LEVEL or LOG_FORMAT, no DATABASE_URL: Tether starts its embedded
 * PostgreSQL itself and reaches it as it does by default), plus only `AS_SHIPPED_LIFTED_LIMITS` and what its
 * comment lists. Logs go to a pipe (stdout is not a terminal).
 */
export async function startAsShipped(options: {
  dataDir: string;
  callbackUrl: string;
  nodeArgs?: string[];
  /** a variant's setting on top (e.g. TETHER_WARM_UP=false), printed by the part that sets it */
  extraEnv?: Record<string, string>;
}): Promise<ShippedTether> {
  const [admin, sales, presales, service, gateway, postgres] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TETHER_DATA_DIR: options.dataDir,
    TETHER_EMBEDDED_PG_PORT: String(postgres),
    ADMIN_PORT: String(admin),
    SALES_PORT: String(sales),
    PRESALES_PORT: String(presales),
    SERVICE_PORT: String(service),
    GATEWAY_PORT: String(gateway),
    TETHER_TELEPHONY_CALLBACK_URL: options.callbackUrl,
    ...AS_SHIPPED_LIFTED_LIMITS,
    ...options.extraEnv,
  };
  // production refuses generated secrets: a NODE_ENV=production variant is given the bench's own, as an operator would
  const explicitSecrets = env.NODE_ENV === 'production';
  if (explicitSecrets) {
    env.TETHER_ADMIN_TOKEN = BENCH_SECRETS.adminToken;
    env.TETHER_WEBHOOK_SECRET = BENCH_SECRETS.webhookSecret;
    env.TETHER_JWT_SECRET = BENCH_SECRETS.jwtSecret;
  }
  const spawnedAt = performance.now();
  const started = startNode('tether (as shipped)', join(REPO_ROOT, 'dist/apps/standalone/src/main.js'), {
    nodeArgs: options.nodeArgs,
    env,
  });
  const system = {
    process: started,
    adminUrl: `http://127.0.0.1:${admin}`,
    salesUrl: `http://127.0.0.1:${sales}`,
    gatewayUrl: `http://127.0.0.1:${gateway}`,
  };
  // a first start runs initdb and every migration: minutes on a busy machine, not seconds
  for (const url of [system.adminUrl, system.salesUrl, system.gatewayUrl])
    await waitHealthy(started, `${url}/health`, 180_000);
  const startMs = performance.now() - spawnedAt;
  const adminToken = explicitSecrets
    ? BENCH_SECRETS.adminToken
    : readFileSync(join(options.dataDir, 'admin-token'), 'utf8').trim();
  const webhookSecret = explicitSecrets
    ? BENCH_SECRETS.webhookSecret
    : (
        await run(
          process.execPath,
          [join(REPO_ROOT, 'dist/libs/auth/src/cli/print-secrets.js'), '--webhook-secret'],
          {
            cwd: REPO_ROOT,
            env,
          },
        )
      ).stdout.trim();
  const postmaster = Number(
    readFileSync(join(options.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const password = readFileSync(join(options.dataDir, 'postgres.password'), 'utf8').trim();
  return {
    ...system,
    adminToken,
    webhookSecret,
    postgresPids: postmasterProcesses(postmaster),
    startMs,
    superuserUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${postgres}/tether`,
  };
}
