#!/usr/bin/env node
/**
 * `npm run start:cluster`: Tether as production runs it, on one machine. N instances (default 2) of every app over
 * one PostgreSQL and one Redis, behind a small proxy (http-proxy) on the contract's ports 3000-3005:
 *
 *   - HTTP is spread round-robin over an app's instances;
 *   - socket.io websocket upgrades are spread round-robin too (a websocket lives on one connection, so it needs no
 *     stickiness); socket.io long-polling requests are pinned by client address, as nginx's ip_hash would.
 *
 * PostgreSQL: DATABASE_URL, or an embedded one with its data in .tether-data/cluster. Redis: REDIS_URL, or Debian's
 * redis-server (installed with apt-get when missing) on a free port. Ctrl-C stops everything it started.
 * Options: --instances N, --base-port P (first internal port, default 4000).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const httpProxy = require('http-proxy');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const instances = option('instances', 2);
const basePort = option('base-port', 4000);
const APPS = [
  ['admin', 3000],
  ['sales', 3001],
  ['presales', 3002],
  ['service', 3003],
  ['gateway', 3005],
];

const children = [];
const servers = [];
let embedded;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping the cluster...');
  for (const server of servers) server.close();
  await Promise.all(
    children.map(
      (child) =>
        new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', done);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  await embedded?.stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

function redisAnswers(port) {
  return new Promise((done) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      done(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

async function startRedis() {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  if (spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status !== 0) {
    console.log("redis-server not found: installing Debian's redis-server with apt-get");
    const install = spawnSync(
      'sh',
      [
        '-c',
        'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server',
      ],
      { stdio: 'inherit' },
    );
    if (install.status !== 0)
      throw new Error('could not install redis-server; set REDIS_URL to a running Redis');
  }
  const port = basePort + 99;
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  children.push(redis);
  for (let i = 0; i < 100 && !(await redisAnswers(port)); i++) await new Promise((r) => setTimeout(r, 50));
  return `redis://127.0.0.1:${port}`;
}

async function startDatabase() {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const { startEmbeddedPostgres } = require(join(root, 'dist/libs/persistence/src/embedded-postgres.js'));
  embedded = await startEmbeddedPostgres(join(root, '.tether-data', 'cluster'), basePort + 98);
  return embedded.url;
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

function startInstance(app, index, env) {
  const port = basePort + APPS.findIndex(([name]) => name === app) * 10 + index;
  const child = spawn(process.execPath, [join(root, `dist/apps/${app}/src/main.js`)], {
    cwd: root,
    env: { ...env, PORT: String(port), TETHER_INSTANCE_ID: `${app}-${index + 1}` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`${app}#${index + 1} exited (${signal ?? code})`);
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

try {
  const env = { ...process.env, DATABASE_URL: await startDatabase(), REDIS_URL: await startRedis() };
  // the first instance applies migrations (and generates secrets) alone; the rest start together
  const admin0 = startInstance('admin', 0, env);
  await healthy(admin0);
  const ports = { admin: [admin0] };
  for (const [app] of APPS) {
    ports[app] ??= [];
    for (let i = ports[app].length; i < instances; i++) ports[app].push(startInstance(app, i, env));
  }
  await Promise.all(Object.values(ports).flat().map(healthy));
  for (const [app, port] of APPS) servers.push(await proxyFor(app, port, ports[app]));
  console.log(
    `\ntether cluster is up: ${instances} instances of each app over PostgreSQL and Redis (${env.REDIS_URL})`,
  );
  for (const [app, port] of APPS)
    console.log(
      `  ${app.padEnd(9)} http://localhost:${port}  ->  ${ports[app].map((p) => `:${p}`).join(' ')}`,
    );
  console.log('');
} catch (error) {
  console.error(`cluster start failed: ${error instanceof Error ? error.message : error}`);
  await stop(1);
}
