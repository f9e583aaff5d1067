#!/usr/bin/env node
/**
 * Part of `npm run build`: the web console (apps/admin/console: HTML, CSS, ES modules; no build step of its own)
 * to dist/apps/admin/console/, where the admin app serves it at /console/ (apps/admin/src/console/mount-console.ts),
 * with the npm packages it imports copied to vendor/ (the page's import map names them): nothing comes from a CDN,
 * and the Docker image ships them with dist/.
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'apps', 'admin', 'console');
const to = join(root, 'dist', 'apps', 'admin', 'console');

/** vendor/<name> ← node_modules/<path>, with each package's licence beside it */
const VENDOR = {
  'preact.module.js': 'preact/dist/preact.mjs',
  'preact-hooks.module.js': 'preact/hooks/dist/hooks.mjs',
  'htm.module.js': 'htm/dist/htm.module.js',
  'socket.io.esm.min.js': 'socket.io-client/dist/socket.io.esm.min.js',
  'uPlot.esm.js': 'uplot/dist/uPlot.esm.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};
const LICENSES = ['preact', 'htm', 'socket.io-client', 'uplot'];

rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
const vendor = join(to, 'vendor');
mkdirSync(join(vendor, 'licenses'), { recursive: true });
const missing = [];
for (const [name, path] of Object.entries(VENDOR)) {
  const source = join(root, 'node_modules', path);
  if (existsSync(source)) cpSync(source, join(vendor, name));
  else missing.push(path);
}
for (const pkg of LICENSES) {
  const license = ['LICENSE', 'LICENSE.md', 'LICENSE.txt']
    .map((file) => join(root, 'node_modules', pkg, file))
    .find((file) => existsSync(file));
  if (license) cpSync(license, join(vendor, 'licenses', `${pkg}.txt`));
}
if (missing.length > 0) {
  console.error(`copy-console: missing in node_modules (npm ci?): ${missing.join(', ')}`);
  process.exit(1);
}
