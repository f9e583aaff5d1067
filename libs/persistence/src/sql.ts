import type { EntityManager } from 'typeorm';

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
