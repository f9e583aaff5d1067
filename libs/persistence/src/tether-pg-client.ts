import { Client, type ClientConfig, type QueryResult } from 'pg';
import { PREPARED_MARK, PREPARED_PER_CONNECTION } from './prepared-statements';

/** What the pool's connections do beyond node-postgres's own (the pool passes its options to each client). */
export interface TetherPgClientOptions {
  /**
   * Prepare the statements marked by `prepared()` by name, once per connection (TETHER_DB_PREPARED_STATEMENTS).
   * Default true.
   */
  prepareMarked?: boolean;
  /**
   * node-postgres's pipeline mode (TETHER_DB_PIPELINE): a query goes on the wire without waiting for the previous
   * one's answer. With it, a transaction's BEGIN is held back and written with the transaction's first statement:
   * one round trip instead of two. Default false here (node-postgres's default); the data source turns it on.
   */
  pipeline?: boolean;
}

/** what TypeORM's `startTransaction` sends */
const START_TRANSACTION = 'START TRANSACTION';

/** A query after `queryThenCommit` that is neither the COMMIT nor a ROLLBACK: the work went on past its end. */
export class StatementAfterCommitError extends Error {
  constructor(text: string) {
    super(`a statement after the transaction's last one (it committed with it): ${text.slice(0, 80)}`);
    this.name = 'StatementAfterCommitError';
  }
}

/**
 * The pool's connection (`extra.Client`): a node-postgres client that prepares the marked statements by name and,
 * in pipeline mode, sends a transaction's BEGIN together with its first statement.
 *
 * **Prepared statements.** node-postgres sends a query with values as an unnamed statement, which PostgreSQL parses,
 * analyses and plans on every execution; a named one is parsed once, then only bound and executed
 * (bench/README.md: pgbench with Tether's lifecycle SQL does ~40% more lifecycles per second with `-M prepared` than
 * with `-M extended`). What it names: a text marked by `prepared()` and sent with values, up to
 * PREPARED_PER_CONNECTION distinct texts per connection; the text is the key, so a statement means the same on every
 * call. Every other statement goes unnamed. PostgreSQL plans a prepared statement like a PL/pgSQL function's (custom
 * plans first, then a generic one when its estimate is no costlier), which suits the marked statements and not every
 * statement: see `prepared()`. When a migration changes a table's columns under a running instance, a prepared
 * `SELECT *` over it fails once with "cached plan must not change result type": the statement is then forgotten
 * (prepared anew, under another name, by its next call) and the error goes to the caller, as any failed statement
 * would. Behind a pooler in transaction mode that does not track prepared statements (PgBouncer before 1.21, or
 * without max_prepared_statements), set TETHER_DB_PREPARED_STATEMENTS=false.
 *
 * **BEGIN with the first statement.** TypeORM's transaction awaits `START TRANSACTION` before it sends anything
 * else: a round trip (a write, a wake-up of the backend, a read) that carries no information. In pipeline mode this
 * client answers it at once, keeps it, and writes it in one write with the next statement (corked), whose answer is
 * awaited as usual; PostgreSQL runs them in order. Should the BEGIN fail (it fails only with the connection, and the
 * statement with it), the statement's promise rejects with the BEGIN's error. Queries are otherwise sent as before:
 * TypeORM awaits each, so nothing else is pipelined. node-postgres refuses cursors and query streams in pipeline mode
 * (Tether uses neither); TETHER_DB_PIPELINE=false turns it off.
 *
 * **COMMIT with the last statement.** `queryThenCommit` (through `lastRows` in a transaction) writes a statement and
 * the transaction's COMMIT together; the COMMIT's answer is kept for the COMMIT TypeORM sends next, which is then not
 * sent again. A routing pass is then two round trips (BEGIN with its snapshot, its offers with COMMIT) instead of
 * four, and the line's lock is held one round trip less. If the statement fails, PostgreSQL answers the COMMIT of
 * the aborted transaction with ROLLBACK: the statement's error reaches the work, and TypeORM's ROLLBACK gets that
 * answer; a COMMIT asked for then fails. Any other statement before the COMMIT or ROLLBACK is refused
 * (StatementAfterCommitError): the transaction is over.
 */
export class TetherPgClient extends Client {
  private readonly names = new Map<string, string>();
  private nextName = 0;
  private readonly prepareMarked: boolean;
  /** a `START TRANSACTION` answered but not sent yet: it goes out with the next statement */
  private heldBegin = false;
  /** the COMMIT `queryThenCommit` wrote behind its statement, until TypeORM's COMMIT or ROLLBACK takes its answer */
  private sentCommit?: Promise<QueryResult>;

  constructor(config?: string | (ClientConfig & TetherPgClientOptions)) {
    super(config);
    this.prepareMarked = typeof config === 'object' ? config.prepareMarked !== false : true;
  }

  /** statements this connection has named so far (for tests) */
  get prepared(): number {
    return this.names.size;
  }

  /** whether a BEGIN is held for the next statement (for tests) */
  get holdsBegin(): boolean {
    return this.heldBegin;
  }

  // node-postgres's query() has many overloads; only the string forms with a promise, what TypeORM's
  // PostgresQueryRunner sends, are changed: every other form is passed through unchanged
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the base method's overloads, all of them
  override query(...args: any[]): any {
    const [text, values, callback] = args as [unknown, unknown, unknown];
    const promised = typeof text === 'string' && callback === undefined && typeof values !== 'function';
    if (this.sentCommit) return this.afterSentCommit(text);
    if (promised && this.pipeline && text === START_TRANSACTION && values === undefined && !this.heldBegin) {
      this.heldBegin = true;
      return Promise.resolve(heldBeginResult());
    }
    if (!this.heldBegin) return this.send(args);
    this.heldBegin = false;
    const [began, statement] = this.inOneWrite<[Promise<QueryResult>, unknown]>(() => [
      (super.query as (text: string) => Promise<QueryResult>)(START_TRANSACTION),
      this.send(args) as unknown,
    ]);
    if (!promised) {
      // a callback or query-object form (not TypeORM's): the BEGIN's failure reaches it through the aborted session
      began.catch(() => undefined);
      return statement;
    }
    return began.then(
      () => statement,
      (error: Error) => {
        (statement as Promise<unknown>).catch(() => undefined);
        throw error;
      },
    );
  }

  /**
   * The transaction's last statement, its COMMIT written behind it in the same write (pipeline mode; otherwise the
   * statement alone, and TypeORM's COMMIT goes out as usual). Only for the outermost transaction's last statement.
   */
  queryThenCommit(text: string, values: unknown[]): Promise<QueryResult> {
    if (!this.pipeline) return this.query(text, values) as Promise<QueryResult>;
    const [statement, commit] = this.inOneWrite<[Promise<QueryResult>, Promise<QueryResult>]>(() => [
      this.query(text, values) as Promise<QueryResult>,
      (super.query as (text: string) => Promise<QueryResult>)('COMMIT'),
    ]);
    // the answer waits for TypeORM's COMMIT or ROLLBACK; never an unhandled rejection meanwhile
    commit.catch(() => undefined);
    this.sentCommit = commit;
    return statement;
  }

  /**
   * Runs `submit` with the socket corked, so the queries it submits go out in one write: in pipeline mode
   * node-postgres writes a query synchronously when it is submitted (nested corks add up; the last uncork writes).
   */
  private inOneWrite<T>(submit: () => T): T {
    const { stream } = (this as unknown as { connection: { stream: { cork?(): void; uncork?(): void } } })
      .connection;
    stream.cork?.();
    try {
      return submit();
    } finally {
      stream.uncork?.();
    }
  }

  /** TypeORM's COMMIT or ROLLBACK after `queryThenCommit`: the answer of the COMMIT already sent */
  private afterSentCommit(text: unknown): Promise<QueryResult> {
    const sent = this.sentCommit!;
    if (text === 'COMMIT' || text === 'ROLLBACK') {
      this.sentCommit = undefined;
      return sent.then((result) => {
        // PostgreSQL answers the COMMIT of an aborted transaction (its last statement failed) with ROLLBACK
        if (text === 'COMMIT' && result.command !== 'COMMIT')
          throw new Error('the transaction rolled back: its last statement failed');
        return result;
      });
    }
    return Promise.reject(new StatementAfterCommitError(String(text)));
  }

  /** the query as node-postgres sends it, named when marked and given values */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see query()
  private send(args: any[]): any {
    const [text, values, callback] = args as [unknown, unknown, unknown];
    const unchanged = () => (super.query as (...a: unknown[]) => unknown)(...(args as unknown[]));
    if (
      !this.prepareMarked ||
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

/** SQLSTATE 0A000 with this message: a table a prepared `SELECT *` reads changed its columns (a deploy's migration) */
const RESULT_TYPE_CHANGED = /cached plan must not change result type/;

/** what node-postgres answers for a BEGIN, for the held one (a fresh object: TypeORM keeps what it is given) */
function heldBeginResult(): QueryResult {
  return { command: 'BEGIN', rowCount: null, oid: 0, rows: [], fields: [] };
}
