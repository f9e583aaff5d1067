import { Client, type ClientConfig, type QueryResult } from 'pg';

/**
 * Distinct statements a connection prepares at most; further texts run unnamed (parsed and planned each time). A
 * prepared statement with its plan held ~18 KB of the backend's memory in a measurement (bench/README.md, session
 * 12), so a connection holds at most ~2 MB of them; the lifecycle's hot path uses about 15.
 */
export const PREPARED_PER_CONNECTION = 100;
/** the mark `prepared()` puts at the head of a statement's text: only marked texts are prepared */
export const PREPARED_MARK = '/* prepared */ ';

/**
 * Marks a statement to be prepared by name on each connection (PreparingClient). For the hot path's statements only:
 * calls of Tether's PL/pgSQL functions and reads by key, whose plan does not depend on the values. A statement whose
 * best plan depends on its values (a report over a date range) must stay unmarked: PostgreSQL may switch a prepared
 * statement to a generic plan after five executions, and for the reports that plan was up to 250 times slower
 * (bench/README.md, session 12).
 */
export function prepared(text: string): string {
  return PREPARED_MARK + text;
}

/**
 * Whether pools prepare the marked statements when nobody says: TETHER_DB_PREPARED_STATEMENTS of this process's
 * environment, on unless it is `false` (the validated config reads the same variable the same way). For pools made
 * outside the config (scripts, benches), so they prepare as Tether does.
 */
export function preparedStatementsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TETHER_DB_PREPARED_STATEMENTS !== 'false';
}

/** SQLSTATE 0A000 with this message: a table a prepared `SELECT *` reads changed its columns (a deploy's migration) */
const RESULT_TYPE_CHANGED = /cached plan must not change result type/;

/**
 * A node-postgres client that prepares its parameterised statements by name, once per connection: node-postgres
 * sends a query with values as an unnamed statement, which PostgreSQL parses, analyses and plans on every execution;
 * a named one is parsed once, then only bound and executed (bench/README.md: pgbench with Tether's lifecycle SQL does
 * ~40% more lifecycles per second with `-M prepared` than with `-M extended`). The pool makes its connections with
 * it (`extra.Client`) unless TETHER_DB_PREPARED_STATEMENTS=false.
 *
 * What it names: a text marked by `prepared()` and sent with values, up to PREPARED_PER_CONNECTION distinct texts per
 * connection; the text is the key, so a statement means the same on every call. Every other statement goes unnamed,
 * as before. PostgreSQL plans a prepared statement like a PL/pgSQL function's (custom plans first, then a generic one
 * when its estimate is no costlier), which suits the marked statements and not every statement: see `prepared()`.
 *
 * When a migration changes a table's columns under a running instance, a prepared `SELECT *` over it fails once
 * with "cached plan must not change result type": the statement is then forgotten (prepared anew, under another
 * name, by its next call) and the error goes to the caller, as any failed statement would.
 *
 * Behind a pooler in transaction mode that does not track prepared statements (PgBouncer before 1.21, or without
 * max_prepared_statements), set TETHER_DB_PREPARED_STATEMENTS=false.
 */
export class PreparingClient extends Client {
  private readonly names = new Map<string, string>();
  private nextName = 0;

  constructor(config?: string | ClientConfig) {
    super(config);
  }

  /** statements this connection has named so far (for tests) */
  get prepared(): number {
    return this.names.size;
  }

  // node-postgres's query() has many overloads; only (text, values[]) with a promise, what TypeORM's
  // PostgresQueryRunner sends, is named: every other form is passed through unchanged
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the base method's overloads, all of them
  override query(...args: any[]): any {
    const [text, values, callback] = args as [unknown, unknown, unknown];
    const unchanged = () => (super.query as (...a: unknown[]) => unknown)(...(args as unknown[]));
    if (
      typeof text !== 'string' ||
      !Array.isArray(values) ||
      callback !== undefined ||
      !text.startsWith(PREPARED_MARK)
    )
      return unchanged();
    let name = this.names.get(text);
    if (name === undefined) {
      if (this.names.size >= PREPARED_PER_CONNECTION) return unchanged();
      name = `tether_${this.nextName++}`;
      this.names.set(text, name);
    }
    const running = (super.query as (config: unknown) => Promise<QueryResult>)({ name, text, values });
    return running.catch((error: Error & { code?: string }) => {
      if (error.code === '0A000' && RESULT_TYPE_CHANGED.test(error.message)) this.names.delete(text);
      throw error;
    });
  }
}
