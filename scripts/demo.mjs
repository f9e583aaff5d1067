#!/usr/bin/env node
/**
 * `npm run demo`: runs the demo (demo/main.ts, built into dist/demo) against the Tether answering on ADMIN_PORT.
 * When nothing answers there, the demo starts Tether itself from dist/, so this builds first, as `npm start` does.
 * A running Tether keeps its dist/: a build would pull it from under it, so when that build has no demo yet this
 * says what to do instead. Ctrl-C reaches the demo, which stops cleanly; its exit code is this script's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/demo/main.js');
const args = process.argv.slice(2);

if (!args.includes('--help') && !args.includes('-h')) {
  const host = ['0.0.0.0', '::', '', undefined].includes(process.env.HOST) ? '127.0.0.1' : process.env.HOST;
  const adminUrl = `http://${host}:${process.env.ADMIN_PORT || 3000}/health`;
  const running = await fetch(adminUrl, { signal: AbortSignal.timeout(2_000) }).then(
    (response) => response.status === 200,
    () => false,
  );
  if (!running) {
    console.log('Nothing answers on the admin port: building, then the demo starts Tether itself.');
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
  } else if (!existsSync(entry)) {
    console.error(
      'Tether is running from a build without the demo (dist/demo is missing). Restart `npm start` (it builds), ' +
        'or stop it and run `npm run demo` alone (it builds and starts Tether).',
    );
    process.exit(1);
  }
}

const demo = spawn(process.execPath, [entry, ...args], { cwd: root, stdio: 'inherit' });
// the terminal's Ctrl-C reaches the demo directly (same process group): wait for it to finish its clean stop
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => demo.kill('SIGTERM'));
demo.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
