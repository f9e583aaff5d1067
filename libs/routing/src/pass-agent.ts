import { CHANNELS, type AgentCandidate, type Channel } from './routing.types';

/** Channel -> slot in `PassAgent.remaining`: an array index is cheaper than a keyed lookup in the hot loop. */
export const CHANNEL_INDEX = Object.fromEntries(
  CHANNELS.map((channel, index) => [channel, index]),
) as Readonly<Record<Channel, number>>;

/** An agent as one routing pass tracks them: the input plus what the pass has already handed out. */
export interface PassAgent {
  readonly agent: AgentCandidate;
  /** available and out of wrap-up: may take anything their remaining capacity allows */
  readonly ready: boolean;
  /** capacity minus load per CHANNEL_INDEX; each assignment in the pass takes one */
  readonly remaining: number[];
  readonly idleSinceMs: number;
  /** skill id (RequirementCompiler) -> level, filled on first use; skills do not change within a pass */
  readonly levels: (number | undefined)[];
}

export function toPassAgent(agent: AgentCandidate, nowMs: number): PassAgent {
  const remaining = CHANNELS.map((channel) => (agent.capacity[channel] ?? 0) - (agent.load[channel] ?? 0));
  const ready = isReady(agent, nowMs);
  return { agent, ready, remaining, idleSinceMs: agent.idleSince.getTime(), levels: [] };
}

/**
 * Ready: may be offered a contact now, capacity allowing: chose `available`, has a live socket, out of wrap-up.
 * The snapshot may leave out agents that are not ready (and have no relationship with a waiting contact), so this is
 * also the condition `routing_snapshot.sql` filters on.
 */
export function isReady(agent: AgentCandidate, nowMs: number): boolean {
  return (
    agent.presence === 'available' &&
    agent.connected &&
    (agent.wrapUpUntil === null || agent.wrapUpUntil.getTime() <= nowMs)
  );
}

/** Ids compared by code unit, not locale: tie-breaks must not depend on the machine's ICU data. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
