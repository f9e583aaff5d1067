#!/usr/bin/env node
/**
 * `npm run start:cluster`: Tether as production runs it, on one machine. N instances (default 2) of every app over
 * one PostgreSQL and one Redis, behind a small proxy (http-proxy) on the contract's ports 3000-3005:
 *
 *   - HTTP is spread round-robin over an app's instances;
 *   - socket.io websocket upgrades are spread round-robin too (a websocket lives on one connection, so it needs no
 *     stickiness); socket.io long-polling requests are pinned by client address, as nginx's ip_hash would.
 *
 * PostgreSQL: DATABASE_URL, or an embedded one on port P+98 with its data (and its password) in `cluster/` under the
 * data directory `npm start` uses (TETHER_DATA_DIR, else ./.tether-data; as root in a private checkout, the same
 * /var/lib/tether/<checkout>-<hash> npm start picks, which the `postgres` user can reach), kept across restarts. Redis: REDIS_URL, or Debian's redis-server (installed with apt-get when missing) on port P+99,
 * nothing persisted. Both come from scripts/lib/local-services.mjs, the lifecycle from scripts/lib/process-group.mjs
 * (shared with run-tests.mjs and run-bench.mjs): every instance runs in its own process group and Ctrl-C stops
 * everything it started, newest first. Options: --instances N, --base-port P (first internal port, default 4000),
 * --public-port Q (the proxies on Q..Q+5 instead of 3000-3005, in the same order).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres, startRedis } from './lib/local-services.mjs';
import { bailIfStopping, finish, installSignalHandlers, killGroup, lifecycle } from './lib/process-group.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// the built config's rule for the data directory (the script runs after `npm run build`), so both commands agree
const { dataDirFrom } = require(join(root, 'dist/libs/config/src/tether-config.js'));
const httpProxy = require('http-proxy');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const instances = option('instances', 2);
const basePort = option('base-port', 4000);
// where the proxies listen: the contract's 3000-3005 unless moved as a block (the bench uses free ports)
const publicPort = option('public-port', 3000);
// The fixed apps and the default lines (rows of the `lines` table); another line: its name, port and built entry point.
const APPS = [
  ['admin', 3000],
  ['sales', 3001],
  ['presales', 3002],
  ['service', 3003],
  ['gateway', 3005],
];

// ---------------------------------------------------------------- lifecycle and services (scripts/lib)

// Ctrl-C is how the cluster is meant to stop: tear down newest first (proxies, instances, Redis, PostgreSQL), exit 0
installSignalHandlers(10_000, { exitCode: 0 });

const children = [];

async function startRedisServer() {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  return (
    await startRedis({ tempPrefix: 'tether-cluster-redis-', port: basePort + 99, urlVariable: 'REDIS_URL' })
  ).url;
}

/**
 * DATABASE_URL, or the embedded cluster database; with the latter, `dataDir` is where the instances keep what they
 * write to a data directory (a generated admin token: `cluster/admin-token`), so it never overwrites the token file
 * of `npm start`'s own database beside it.
 */
async function startDatabase() {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL };
  const dataDir = join(dataDirFrom(process.env.TETHER_DATA_DIR, root), 'cluster');
  console.log(`embedded PostgreSQL data: ${dataDir}`);
  const postgres = await startPostgres({
    dataDir,
    port: basePort + 98,
    database: 'tether',
  });
  return { url: postgres.url, dataDir };
}

async function healthy(port) {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`instance on :${port} did not become healthy within 60 s`);
}

/** Each instance in its own process group: a Ctrl-C reaches only this script, which stops them in order. */
function startInstance(app, index, env) {
  if (lifecycle.shuttingDown) throw new Error('stopping');
  const port = basePort + APPS.findIndex(([name]) => name === app) * 10 + index;
  const child = spawn(process.execPath, [join(root, `dist/apps/${app}/src/main.js`)], {
    cwd: root,
    // the proxies below (xfwd) are on loopback: the instances believe their X-Forwarded-For, so limits see clients
    env: {
      TETHER_TRUSTED_PROXIES: 'loopback',
      ...env,
      PORT: String(port),
      TETHER_INSTANCE_ID: `${app}-${index + 1}`,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  child.once('exit', (code, signal) => {
    if (!lifecycle.shuttingDown) console.error(`${app}#${index + 1} exited (${signal ?? code})`);
  });
  children.push(child);
  return port;
}

function proxyFor(app, port, targets) {
  const proxy = httpProxy.createProxyServer({ ws: true, xfwd: true });
  proxy.on('error', (error, _req, res) => {
    if (res && 'writeHead' in res && !res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 502, message: `no ${app} instance answered: ${error.message}` }));
    } else res?.destroy?.();
  });
  let next = 0;
  const roundRobin = () => targets[next++ % targets.length];
  const byClient = (req) => {
    const address = req.socket.remoteAddress ?? '';
    let hash = 0;
    for (const ch of address) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return targets[hash % targets.length];
  };
  const server = createServer((req, res) => {
    const polling = app === 'gateway' && req.url?.startsWith('/socket.io/');
    proxy.web(req, res, { target: `http://127.0.0.1:${polling ? byClient(req) : roundRobin()}` });
  });
  server.on('upgrade', (req, socket, head) =>
    proxy.ws(req, socket, head, { target: `http://127.0.0.1:${roundRobin()}` }),
  );
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, process.env.HOST ?? '0.0.0.0', () => done(server));
  });
}

const servers = [];

try {
  const database = await startDatabase();
  const env = { ...process.env, DATABASE_URL: database.url, REDIS_URL: await startRedisServer() };
  if (database.dataDir !== undefined) env.TETHER_DATA_DIR = database.dataDir;
  // stacked after the services so they run before them: proxies, then every instance at once, then Redis, PostgreSQL
  lifecycle.cleanups.push(() => Promise.all(children.map((child) => killGroup(child, 'SIGTERM', 10_000))));
  lifecycle.cleanups.push(() => {
    for (const server of servers) server.close();
  });
  // the first instance applies migrations (and generates secrets) alone; the rest start together
  const admin0 = startInstance('admin', 0, env);
  await healthy(admin0);
  const ports = { admin: [admin0] };
  for (const [app] of APPS) {
    ports[app] ??= [];
    for (let i = ports[app].length; i < instances; i++) ports[app].push(startInstance(app, i, env));
  }
  await Promise.all(Object.values(ports).flat().map(healthy));
  for (const [app, port] of APPS) {
    await bailIfStopping();
    servers.push(await proxyFor(app, port - 3000 + publicPort, ports[app]));
  }
  console.log(
    // a REDIS_URL's password stays off the terminal
    `\ntether cluster is up: ${instances} instances of each app over PostgreSQL and Redis (${env.REDIS_URL.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')})`,
  );
  for (const [app, port] of APPS)
    console.log(
      `  ${app.padEnd(9)} http://localhost:${port - 3000 + publicPort}  ->  ${ports[app].map((p) => `:${p}`).join(' ')}`,
    );
  console.log('');
} catch (error) {
  if (lifecycle.shuttingDown) await new Promise(() => {}); // a signal handler owns the exit now
  console.error(`cluster start failed: ${error instanceof Error ? error.message : error}`);
  await finish(1);
}
