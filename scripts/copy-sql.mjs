#!/usr/bin/env node
/**
 * Part of `npm run build`: copies every lib's SQL sources (libs/<lib>/sql/*.sql) to dist/libs/<lib>/sql/, where the
 * compiled persistence lib looks for them (libs/persistence/src/sql-sources.ts: `resolve(__dirname, '../..')` is
 * dist/libs in the build). The apps apply them at start-up; the Docker image ships them with dist/.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let copied = 0;
for (const lib of readdirSync(join(root, 'libs'), { withFileTypes: true })) {
  const from = join(root, 'libs', lib.name, 'sql');
  if (!lib.isDirectory() || !existsSync(from)) continue;
  const to = join(root, 'dist', 'libs', lib.name, 'sql');
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((name) => name.endsWith('.sql'))) {
    copyFileSync(join(from, file), join(to, file));
    copied++;
  }
}
if (copied === 0) {
  console.error('copy-sql: no libs/*/sql/*.sql found');
  process.exit(1);
}
