import { one, Sql } from '@tether/persistence';

/**
 * The customer `id` was merged into, following a chain of merges (at most 20 deep), or undefined when `id` was not
 * merged away. A merged-away id is the same person as its survivor: reads, exports and erasures by it act on the
 * survivor.
 */
export async function survivorOf(sql: Sql, id: string): Promise<string | undefined> {
  const row = await one<{ id: string }>(
    sql,
    `WITH RECURSIVE chain(id, depth) AS (
       SELECT merged_into, 1 FROM customers WHERE id = $1 AND merged_into IS NOT NULL
       UNION ALL
       SELECT c.merged_into, chain.depth + 1 FROM chain JOIN customers c ON c.id = chain.id
        WHERE c.merged_into IS NOT NULL AND chain.depth < 20)
     SELECT id FROM chain ORDER BY depth DESC LIMIT 1`,
    [id],
  );
  return row?.id;
}

/**
 * Deletes the customer row `id` together with every merged-away id that resolves to it (directly or through a chain),
 * in one statement, so the `merged_into` foreign keys among them are checked once all are gone. The merged-away rows
 * hold nothing (no name, identities or history: the merge moved it all), so nothing else is lost.
 */
export async function deleteWithMergedAway(sql: Sql, id: string): Promise<void> {
  await sql.query(
    `WITH RECURSIVE merged(id, depth) AS (
       SELECT id, 1 FROM customers WHERE merged_into = $1
       UNION ALL
       SELECT c.id, merged.depth + 1 FROM customers c JOIN merged ON c.merged_into = merged.id WHERE merged.depth < 20)
     DELETE FROM customers WHERE id = $1 OR id IN (SELECT id FROM merged)`,
    [id],
  );
}
