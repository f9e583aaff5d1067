import { rows, Sql } from '@tether/persistence';
import type { PresenceState } from '@tether/routing';

/** One presence change of an agent, as agent_presence_events records it. */
export interface PresenceHistoryRow {
  at: Date;
  agentId: string;
  state: PresenceState;
}

/**
 * These agents' presence over [from, to) from agent_presence_events (this lib's table): first each agent's state at
 * `from` (their latest change before it, dated `from`), then every change in the period, in time order. An agent with
 * no change recorded before `from` has no first row (offline). Two index range reads on (agent_id, at).
 */
export function presenceHistory(
  sql: Sql,
  agentIds: readonly string[],
  from: Date,
  to: Date,
): Promise<PresenceHistoryRow[]> {
  return rows<PresenceHistoryRow>(
    sql,
    `SELECT s.agent_id AS "agentId", s.at, s.state FROM (
       SELECT DISTINCT ON (e.agent_id) e.agent_id, $2::timestamptz AS at, e.state
         FROM agent_presence_events e
        WHERE e.agent_id = ANY($1::uuid[]) AND e.at <= $2
        ORDER BY e.agent_id, e.at DESC, e.id DESC
     ) s
     UNION ALL
     SELECT e.agent_id, e.at, e.state FROM agent_presence_events e
      WHERE e.agent_id = ANY($1::uuid[]) AND e.at > $2 AND e.at < $3
     ORDER BY 2, 1`,
    [agentIds, from, to],
  );
}
