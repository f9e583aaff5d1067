import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JOB_KINDS } from './job-map';

const LIBS = resolve(__dirname, '..', '..');

/** Every job kind a SQL function writes under its own name, across libs/*\/sql. */
function kindsWrittenInSql(): { file: string; kind: string }[] {
  const found: { file: string; kind: string }[] = [];
  for (const lib of readdirSync(LIBS)) {
    let files: string[];
    try {
      files = readdirSync(join(LIBS, lib, 'sql')).filter((f) => f.endsWith('.sql'));
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(join(LIBS, lib, 'sql', file), 'utf8');
      for (const match of text.matchAll(/tether_schedule_job\(\s*'([^']+)'/g))
        found.push({ file: `${lib}/sql/${file}`, kind: match[1] });
    }
  }
  return found;
}

describe('the job map', () => {
  it('knows every kind a SQL function schedules (a kind spelt there must be one a handler exists for)', () => {
    const known: string[] = Object.values(JOB_KINDS);
    const written = kindsWrittenInSql();
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter(({ kind }) => !known.includes(kind))).toEqual([]);
  });
});
