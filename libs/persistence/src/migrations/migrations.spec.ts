import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Functions live in libs/<lib>/sql/*.sql, applied by the repeatable SQL step; migrations are schema only. The
 * functions migration 1764000400000 created stay there (merged migrations are never edited), nothing after it
 * creates one.
 */
describe('migrations', () => {
  const LAST_WITH_FUNCTIONS = 1_764_000_400_000;
  const later = readdirSync(__dirname)
    .filter((file) => /^\d{13}-.+\.ts$/.test(file) && Number(file.slice(0, 13)) > LAST_WITH_FUNCTIONS)
    .sort();

  it('there are migrations after 1764000400000 to check', () => {
    expect(later.length).toBeGreaterThan(0);
  });

  it.each(later)('%s creates no function (put it in libs/<lib>/sql/<name>.sql)', (file) => {
    const text = readFileSync(join(__dirname, file), 'utf8');
    expect(text).not.toMatch(/\bCREATE\s+(OR\s+REPLACE\s+)?FUNCTION\b/i);
  });
});
