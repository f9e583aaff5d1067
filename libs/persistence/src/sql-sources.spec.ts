import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readSqlSources, SQL_SOURCES_ROOT } from './sql-sources';

describe('readSqlSources', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tether-sql-read-'));
    const files: Record<string, string> = {
      'contacts/sql/b.sql': 'b',
      'contacts/sql/a.sql': 'a',
      'contacts/sql/a.int-spec.ts': 'not sql',
      'zeta/sql/z.sql': 'z',
      'alpha/sql/y.sql': 'y',
      'agents/sql/x.sql': 'x',
      'customers/sql/w.sql': 'w',
      'scheduler/sql/v.sql': 'v',
      'persistence/sql/u.sql': 'u',
      'routing/src/index.ts': 'no sql folder',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('orders by lib (persistence, scheduler, customers, agents, contacts, then the others by name), then file name', () => {
    expect(readSqlSources(root).map((source) => source.path)).toEqual([
      'persistence/u.sql',
      'scheduler/v.sql',
      'customers/w.sql',
      'agents/x.sql',
      'contacts/a.sql',
      'contacts/b.sql',
      'alpha/y.sql',
      'zeta/z.sql',
    ]);
  });

  it('keys each file by its path under the root and the sha256 of its bytes', () => {
    const [first] = readSqlSources(root);
    expect(first).toEqual({
      path: 'persistence/u.sql',
      text: 'u',
      checksum: createHash('sha256').update('u').digest('hex'),
    });
  });
});

describe("the repository's SQL sources", () => {
  const sources = readSqlSources(SQL_SOURCES_ROOT);

  it('are found from the persistence lib (libs/ here, dist/libs in the build)', () => {
    expect(sources.map((source) => source.path)).toEqual(
      expect.arrayContaining([
        'persistence/trace.sql',
        'scheduler/schedule_job.sql',
        'contacts/receive_call.sql',
      ]),
    );
  });

  it.each(readSqlSources(SQL_SOURCES_ROOT).map((source) => [source.path, source.text]))(
    '%s defines the function it is named after, with CREATE OR REPLACE, after a header comment',
    (path, text) => {
      const name = `tether_${basename(path, '.sql')}`;
      expect(text.startsWith(`-- ${name}(`)).toBe(true);
      const created = [...text.matchAll(/\bCREATE\s+(OR\s+REPLACE\s+)?FUNCTION\s+(\w+)/gi)];
      expect(created.map((match) => [Boolean(match[1]), match[2]])).toEqual([[true, name]]);
      expect(readFileSync(join(SQL_SOURCES_ROOT, path.replace('/', '/sql/')), 'utf8')).toBe(text);
    },
  );
});
