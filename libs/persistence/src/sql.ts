import type { EntityManager } from 'typeorm';
import { TetherPgClient } from './tether-pg-client';

/** Anything that can run SQL: the DataSource's manager or a transaction's. */
export type Sql = Pick<EntityManager, 'query'>;

/** Runs a query and returns its rows (TypeORM returns [rows, count] for UPDATE ... RETURNING on postgres). */
export async function rows<T>(sql: Sql, text: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await sql.query(text, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

export async function one<T>(sql: Sql, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await rows<T>(sql, text, params))[0];
}

/**
 * A transaction's last statement, with the transaction's COMMIT written behind it (`TetherPgClient.queryThenCommit`):
 * one round trip instead of two. Nothing the work does after it can undo it. Outside the outermost transaction of a
 * TetherPgClient connection it is `rows`.
 */
export async function lastRows<T>(tx: EntityManager, text: string, params: unknown[] = []): Promise<T[]> {
  const runner = tx.queryRunner;
  // TypeORM's PostgresQueryRunner: its pg client, and how deep in nested transactions (savepoints) it is
  const { databaseConnection: client, transactionDepth } = (runner ?? {}) as {
    databaseConnection?: unknown;
    transactionDepth?: number;
  };
  if (!runner?.isTransactionActive || transactionDepth !== 1 || !(client instanceof TetherPgClient))
    return rows<T>(tx, text, params);
  return (await client.queryThenCommit(text, params)).rows as T[];
}
