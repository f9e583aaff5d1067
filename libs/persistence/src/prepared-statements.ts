/**
 * Distinct statements a connection prepares at most; further texts run unnamed (parsed and planned each time). A
 * prepared statement with its plan held ~18 KB of the backend's memory in a measurement (bench/README.md, session
 * 12), so a connection holds at most ~2 MB of them; the lifecycle's hot path uses about 15.
 */
export const PREPARED_PER_CONNECTION = 100;
/** the mark `prepared()` puts at the head of a statement's text: only marked texts are prepared */
export const PREPARED_MARK = '/* prepared */ ';

/**
 * Marks a statement to be prepared by name on each connection (TetherPgClient). For the hot path's statements only:
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

/** Whether pools pipeline a transaction's BEGIN when nobody says: TETHER_DB_PIPELINE, on unless it is `false`. */
export function pipelineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TETHER_DB_PIPELINE !== 'false';
}
