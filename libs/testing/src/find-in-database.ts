import type { SqlQuery } from './sql-fixtures';

/** Where a text was found: one column of one table, and in how many rows. */
export interface FoundText {
  text: string;
  table: string;
  column: string;
  rows: number;
}

/**
 * Looks for each text in every column of every table of the `public` schema, whatever the column's type (text,
 * json, arrays: each is read as its text form), so a test can prove that something, a phone number or a name, is
 * nowhere in the database. A table's rows are first matched as a whole (`row::text`); only a table that holds the
 * text is searched column by column, to say where. Run a positive control first: the same call finding the text
 * before it was erased.
 */
export async function findTextInDatabase(db: SqlQuery, texts: readonly string[]): Promise<FoundText[]> {
  const tables = await db.query<{ table: string; columns: string[] }>(
    `SELECT c.relname::text AS "table", array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      GROUP BY c.relname ORDER BY c.relname`,
  );
  if (tables.length === 0) throw new Error('findTextInDatabase: no table in schema public');
  const found: FoundText[] = [];
  for (const text of texts) {
    if (text.length < 4) throw new Error(`findTextInDatabase: "${text}" is too short to mean anything`);
    for (const { table, columns } of tables) {
      const [{ n }] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM public.${ident(table)} r WHERE strpos(r::text, $1) > 0`,
        [text],
      );
      if (n === 0) continue;
      for (const column of columns) {
        const [{ rows }] = await db.query<{ rows: number }>(
          `SELECT count(*)::int AS rows FROM public.${ident(table)} WHERE strpos(${ident(column)}::text, $1) > 0`,
          [text],
        );
        if (rows > 0) found.push({ text, table, column, rows });
      }
    }
  }
  return found;
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
