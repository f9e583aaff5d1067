import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { QueryRunner } from 'typeorm';

/**
 * Where every lib's `sql/` folder lies: `libs/` when this runs from the sources (jest), `dist/libs/` in the build
 * (`npm run build` copies the .sql files there: scripts/copy-sql.mjs).
 */
export const SQL_SOURCES_ROOT = resolve(__dirname, '../..');

/**
 * Libs whose functions others call come first. Only LANGUAGE sql bodies are checked against the catalog when they
 * are created (PL/pgSQL bodies are resolved when first run), so this order matters for them alone; libs not listed
 * follow in name order, and inside a lib files go in name order.
 */
const LIB_ORDER = ['persistence', 'scheduler', 'customers', 'agents', 'contacts'];

export interface SqlSource {
  /** relative to the root, e.g. `contacts/receive_call.sql` (the key in sql_sources) */
  path: string;
  text: string;
  /** sha256 of the file's bytes, hex */
  checksum: string;
}

/** Every `<lib>/sql/*.sql` under root, in the order they are applied. */
export function readSqlSources(root: string = SQL_SOURCES_ROOT): SqlSource[] {
  const rank = (lib: string): number => {
    const at = LIB_ORDER.indexOf(lib);
    return at < 0 ? LIB_ORDER.length : at;
  };
  const libs = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'sql')))
    .map((entry) => entry.name)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return libs.flatMap((lib) =>
    readdirSync(join(root, lib, 'sql'))
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .map((file) => {
        const bytes = readFileSync(join(root, lib, 'sql', file));
        return {
          path: `${lib}/${file}`,
          text: bytes.toString('utf8'),
          checksum: createHash('sha256').update(bytes).digest('hex'),
        };
      }),
  );
}

/**
 * The repeatable step after the migrations: applies every SQL source whose checksum differs from the one recorded
 * in sql_sources (all of them on a database that has none recorded), all in one transaction on `runner`, and
 * returns their paths. Rows of files that no longer exist are deleted: a function whose file is removed is dropped
 * by a migration, and the file, if it comes back, is applied again. The caller holds the migration lock, so two
 * processes never apply the same change.
 */
export async function applySqlSources(
  runner: QueryRunner,
  root: string = SQL_SOURCES_ROOT,
): Promise<string[]> {
  const sources = readSqlSources(root);
  // an empty tree is a broken build (the .sql files not copied), not "nothing to do": the functions would silently
  // stay as the last release left them
  if (sources.length === 0)
    throw new Error(`no SQL sources under ${root}/*/sql (is the build missing them?)`);
  const recorded = new Map(
    (
      (await runner.query('SELECT path, checksum FROM sql_sources')) as { path: string; checksum: string }[]
    ).map((row) => [row.path, row.checksum]),
  );
  const changed = sources.filter((source) => recorded.get(source.path) !== source.checksum);
  const gone = [...recorded.keys()].filter((path) => !sources.some((source) => source.path === path));
  if (changed.length === 0 && gone.length === 0) return [];

  await runner.startTransaction();
  try {
    for (const source of changed) {
      try {
        await runner.query(source.text);
      } catch (error) {
        throw new Error(`SQL source ${source.path} failed: ${(error as Error).message}`, { cause: error });
      }
      await runner.query(
        `INSERT INTO sql_sources (path, checksum, applied_at) VALUES ($1, $2, now())
         ON CONFLICT (path) DO UPDATE SET checksum = excluded.checksum, applied_at = excluded.applied_at`,
        [source.path, source.checksum],
      );
    }
    if (gone.length > 0) await runner.query('DELETE FROM sql_sources WHERE path = ANY($1)', [gone]);
    await runner.commitTransaction();
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  }
  return changed.map((source) => source.path);
}
