import type { Sql } from '@tether/persistence';

/** Gives back one of the agent's slots on a channel (never below zero, even if a release is replayed). */
export async function releaseSlot(sql: Sql, agentId: string, channel: string): Promise<void> {
  await sql.query(
    `UPDATE agent_slots SET used = GREATEST(used - 1, 0) WHERE agent_id = $1 AND channel = $2`,
    [agentId, channel],
  );
}

export function traceEntry(text: string): string {
  return JSON.stringify([{ at: new Date().toISOString(), text }]);
}
