import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './bench-cli';
import { startNode, waitHealthy } from './child-process';
import { processTree } from './proc-stats';
import { AS_SHIPPED_LIFTED_LIMITS, ShippedTether } from './tether-as-shipped';

const run = promisify(execFile);

/**
 * A block of `size` consecutive ports that are free now, below Linux's ephemeral range (32768-60999): a port picked
 * there can be taken by any outgoing connection before the instance binds it (it happened: EADDRINUSE on a
 * gateway instance).
 */
async function freeBlock(size: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * 220) * 100;
    const probes = await Promise.all(Array.from({ length: size }, (_, i) => isFree(base + i)));
    if (probes.every(Boolean)) return base;
  }
  throw new Error(`no block of ${size} free ports found`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/**
 * The production layout: `npm run start:cluster` without its build step (`node scripts/start-cluster.mjs`, the
 * bench runner built dist): `instances` of every app behind its round-robin proxies, over PostgreSQL and Redis,
 * with the default environment (no NODE_ENV, LOG_LEVEL or LOG_FORMAT) plus what `startAsShipped` adds. What
 * differs from a user's `npm run start:cluster`, printed with the figures:
 *
 * - DATABASE_URL: a fresh database on the bench's PostgreSQL (its unix socket), as production gives one, instead of
 *   the embedded server the script starts when none is given (the bench needs the URL to read the generated
 *   webhook secret and its server's processes for the CPU figures);
 * - the ports: free blocks (`--base-port`, `--public-port`) instead of 4000-4049 / 3000-3005; Redis is the
 *   script's own (Debian's redis-server on base+99).
 *
 * CPU of the target is the script (the proxies) plus every app instance (`node` children); Redis is not counted.
 * RSS is the proxies' process only.
 */
export async function startCluster(options: {
  dataDir: string;
  callbackUrl: string;
  databaseUrl: string;
  instances: number;
}): Promise<ShippedTether & { instances: number }> {
  const basePort = await freeBlock(100);
  let publicPort = await freeBlock(6);
  while (publicPort >= basePort && publicPort < basePort + 100) publicPort = await freeBlock(6);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TETHER_DATA_DIR: options.dataDir,
    DATABASE_URL: options.databaseUrl,
    TETHER_TELEPHONY_CALLBACK_URL: options.callbackUrl,
    ...AS_SHIPPED_LIFTED_LIMITS,
  };
  const spawnedAt = performance.now();
  const started = startNode('tether cluster', join(REPO_ROOT, 'scripts/start-cluster.mjs'), {
    args: [
      '--instances',
      String(options.instances),
      '--base-port',
      String(basePort),
      '--public-port',
      String(publicPort),
    ],
    env,
  });
  const url = (offset: number): string => `http://127.0.0.1:${publicPort + offset}`;
  const system = { process: started, adminUrl: url(0), salesUrl: url(1), gatewayUrl: url(5) };
  // the first admin instance migrates alone, then every other instance starts, then the proxies listen
  for (const target of [system.adminUrl, system.salesUrl, system.gatewayUrl])
    await waitHealthy(started, `${target}/health`, 300_000);
  const startMs = performance.now() - spawnedAt;
  const adminToken = readFileSync(join(options.dataDir, 'admin-token'), 'utf8').trim();
  const { stdout } = await run(
    process.execPath,
    [join(REPO_ROOT, 'dist/libs/auth/src/cli/print-secrets.js'), '--webhook-secret'],
    { cwd: REPO_ROOT, env },
  );
  return {
    ...system,
    adminToken,
    webhookSecret: stdout.trim(),
    // the database's server processes are the bench's PostgreSQL's: the caller knows them
    postgresPids: () => [],
    pids: processTree(started.pid, 'node'),
    startMs,
    instances: options.instances,
  };
}
