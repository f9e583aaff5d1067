import { CHANNELS, type AgentCandidate, type Channel, type CrossChannelRule } from './routing.types';

/** Channel -> slot in `PassAgent.remaining`: an array index is cheaper than a keyed lookup in the hot loop. */
export const CHANNEL_INDEX = Object.fromEntries(
  CHANNELS.map((channel, index) => [channel, index]),
) as Readonly<Record<Channel, number>>;

/** An agent as one routing pass tracks them: the input plus what the pass has already handed out. */
export interface PassAgent {
  readonly agent: AgentCandidate;
  /** available and out of wrap-up: may take anything their remaining capacity allows */
  readonly ready: boolean;
  /**
   * what the agent may still be offered per CHANNEL_INDEX: capacity minus load, and under a line's cross-channel
   * rule no more than that rule leaves (recomputed from `held` after each assignment of the pass)
   */
  readonly remaining: number[];
  /** under a cross-channel rule: contacts held per CHANNEL_INDEX, the pass's assignments included; else null */
  readonly held: number[] | null;
  readonly idleSinceMs: number;
  /** skill id (RequirementCompiler) -> level, filled on first use; skills do not change within a pass */
  readonly levels: (number | undefined)[];
}

export function toPassAgent(
  agent: AgentCandidate,
  nowMs: number,
  cross: CrossChannel | null = null,
): PassAgent {
  const remaining = CHANNELS.map((channel) => (agent.capacity[channel] ?? 0) - (agent.load[channel] ?? 0));
  const ready = isReady(agent, nowMs);
  const held = cross === null ? null : CHANNELS.map((channel) => agent.load[channel] ?? 0);
  const passAgent = { agent, ready, remaining, held, idleSinceMs: agent.idleSince.getTime(), levels: [] };
  if (cross !== null) applyCrossChannel(passAgent, cross);
  return passAgent;
}

/** A line's cross-channel rule, by CHANNEL_INDEX: the masks each held channel blocks, the weights. */
export interface CrossChannel {
  /** per held channel: bit i set = no new contact of channel i while one is held */
  readonly blocks: number[];
  /** per channel (1 when not named), or null without a weighted total */
  readonly weights: number[] | null;
  readonly maxWeight: number;
}

export function compileCrossChannel(rule: CrossChannelRule | undefined): CrossChannel | null {
  if (rule === undefined) return null;
  const blocks = CHANNELS.map((held) =>
    (rule.blocks?.[held] ?? []).reduce((mask, blocked) => mask | (1 << CHANNEL_INDEX[blocked]), 0),
  );
  const weighted = rule.maxWeight !== undefined;
  const weights = weighted ? CHANNELS.map((channel) => rule.weights?.[channel] ?? 1) : null;
  if (!weighted && blocks.every((mask) => mask === 0)) return null;
  return { blocks, weights, maxWeight: rule.maxWeight ?? 0 };
}

/**
 * `remaining` as the rule leaves it for what the agent holds (`held`): a blocked channel has none, and under a
 * weighted total no more than the room left divided by the channel's weight. The same arithmetic as
 * tether_cross_channel_allows (libs/contacts/sql), which commits it.
 */
export function applyCrossChannel(passAgent: PassAgent, cross: CrossChannel): void {
  const { agent, remaining, held } = passAgent;
  if (held === null) return;
  let blocked = 0;
  let weight = 0;
  for (let i = 0; i < CHANNELS.length; i++) {
    if (held[i] > 0) blocked |= cross.blocks[i];
    if (cross.weights !== null) weight += held[i] * cross.weights[i];
  }
  for (let i = 0; i < CHANNELS.length; i++) {
    let left = (agent.capacity[CHANNELS[i]] ?? 0) - held[i];
    if ((blocked & (1 << i)) !== 0) left = 0;
    else if (cross.weights !== null && cross.weights[i] > 0)
      left = Math.min(left, Math.floor((cross.maxWeight - weight) / cross.weights[i]));
    remaining[i] = left;
  }
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
