import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SQL_OUTCOMES } from './sql-outcomes';

const SQL_DIR = join(__dirname, '..', 'sql');

/** The outcome literals a function's file can answer: every `'<code>'::text` it returns as the first column. */
function outcomesIn(source: string): string[] {
  return [...new Set([...source.matchAll(/RETURN QUERY SELECT '([a-z_]+)'::text/g)].map((m) => m[1]))].sort();
}

describe('SQL outcome codes are declared once (SQL_OUTCOMES)', () => {
  const files = readdirSync(SQL_DIR).filter((f) => f.endsWith('.sql'));

  it.each(Object.entries(SQL_OUTCOMES))('%s answers exactly the declared codes', (fn, declared) => {
    const file = files.find((f) => readFileSync(join(SQL_DIR, f), 'utf8').includes(`FUNCTION ${fn}(`));
    expect(file).toBeDefined();
    expect(outcomesIn(readFileSync(join(SQL_DIR, file!), 'utf8'))).toEqual([...declared].sort());
  });

  it('every function of libs/contacts/sql that answers outcome codes is declared', () => {
    const answering = files
      .map((f) => readFileSync(join(SQL_DIR, f), 'utf8'))
      .filter((source) => outcomesIn(source).length > 0)
      .map((source) => /CREATE OR REPLACE FUNCTION (\w+)\(/.exec(source)![1])
      .sort();
    expect(answering).toEqual(Object.keys(SQL_OUTCOMES).sort());
  });
});
