import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSqlSources } from '@tether/persistence';
import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * lifecycle.pgbench.sql calls the lifecycle's SQL functions by hand; this keeps it from drifting from them. Every
 * statement is parsed and planned by the real PostgreSQL with the real migrations and SQL sources, its pgbench
 * variables as untyped parameters (what pgbench -M extended sends), so a function whose arguments changed makes
 * this fail, and every tether_* it calls must be one of libs/<lib>/sql's functions with that many arguments.
 */
describe('bench/pgbench/lifecycle.pgbench.sql against the SQL functions', () => {
  let db: SqlTestDatabase;
  const script = readFileSync(join(__dirname, 'lifecycle.pgbench.sql'), 'utf8');

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  /** The script's SQL commands: a command ends with `;` or `\gset` at the end of a line; meta-commands skipped. */
  function statements(): string[] {
    const found: string[] = [];
    let current: string[] = [];
    for (const raw of script.split('\n')) {
      const line = raw.replace(/--.*$/, '').trimEnd();
      if (line.trim() === '' || line.trimStart().startsWith('\\')) continue;
      const end = /(;|\\gset)$/.exec(line);
      current.push(end ? line.slice(0, end.index) : line);
      if (end) {
        found.push(current.join('\n').trim());
        current = [];
      }
    }
    expect(current.join('').trim()).toBe(''); // nothing unterminated
    return found;
  }

  /** `name(args)` calls of tether_* functions, with their top-level argument count. */
  function calls(statement: string): { name: string; args: number }[] {
    const result: { name: string; args: number }[] = [];
    for (const match of statement.matchAll(/\b(tether_\w+)\s*\(/g)) {
      let depth = 0;
      let args = 0;
      let quoted = false;
      let empty = true;
      for (let i = match.index + match[0].length; i < statement.length; i++) {
        const c = statement[i];
        if (quoted) {
          if (c === "'") quoted = false;
          continue;
        }
        if (c === "'") quoted = true;
        else if (c === '(' || c === '[') depth++;
        else if ((c === ')' || c === ']') && depth > 0) depth--;
        else if (c === ')') break;
        else if (c === ',' && depth === 0) args++;
        if (!/\s/.test(c)) empty = false;
      }
      result.push({ name: match[1], args: empty ? 0 : args + 1 });
    }
    return result;
  }

  /** pgbench's `:name` variables as $1..$n (not `::type` casts). */
  function parameterised(statement: string): { text: string; count: number } {
    const names: string[] = [];
    const text = statement.replace(/(?<!:):([a-z_][a-z0-9_]*)/gi, (_, name: string) => {
      if (!names.includes(name)) names.push(name);
      return `$${names.indexOf(name) + 1}`;
    });
    return { text, count: names.length };
  }

  it('calls only functions of libs/<lib>/sql, each with as many arguments as PostgreSQL has for it', async () => {
    const defined = new Set(
      readSqlSources().flatMap((source) =>
        [...source.text.matchAll(/CREATE OR REPLACE FUNCTION (\w+)/g)].map((match) => match[1]),
      ),
    );
    const arities = new Map(
      (
        await db.query<{ name: string; args: number[] }>(
          `SELECT proname AS name, array_agg(pronargs::int) AS args FROM pg_proc WHERE proname LIKE 'tether\\_%' GROUP BY proname`,
        )
      ).map((row) => [row.name, row.args]),
    );
    const called = statements().flatMap(calls);
    expect(called.map((call) => call.name)).toEqual(
      expect.arrayContaining([
        'tether_receive_call',
        'tether_call_row',
        'tether_routing_snapshot',
        'tether_commit_offers',
        'tether_accept_offer',
        'tether_complete_contact',
      ]),
    );
    for (const call of called) {
      expect({ ...call, definedInSqlFiles: defined.has(call.name) }).toEqual({
        ...call,
        definedInSqlFiles: true,
      });
      expect({ ...call, applied: arities.get(call.name) }).toEqual({ ...call, applied: [call.args] });
    }
  });

  it('every statement is accepted by PostgreSQL as pgbench sends it (argument types resolve)', async () => {
    const checked = statements().filter((statement) => !/^(BEGIN|COMMIT)$/i.test(statement));
    expect(checked.length).toBeGreaterThanOrEqual(8);
    for (const statement of checked) {
      const { text, count } = parameterised(statement);
      await expect(
        db.query(`EXPLAIN ${text}`, new Array<null>(count).fill(null)).then(() => 'planned'),
      ).resolves.toBe('planned');
    }
  });
});
