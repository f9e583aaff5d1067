import type { Channel, Line, PresenceState } from '@tether/routing';
import type { ConnectedContactPayload, OfferPayload, OfferRevokeReason } from './tether-events';

/** Client-facing socket.io event names and payloads of the /agents namespace (CONTRACT.md, plus documented extensions). */
export interface QueueSnapshot {
  /** how many contacts wait on these lines (the list holds the first 50 in serving order) */
  total: number;
  waiting: { contactId: string; line: Line; channel: Channel; waitingSeconds: number; priority: number }[];
}

export interface AgentServerToClientEvents {
  offer: (payload: OfferPayload) => void;
  'offer:revoked': (payload: { offerId: string; contactId: string; reason: OfferRevokeReason }) => void;
  queue: (payload: QueueSnapshot) => void;
  /** extension: the server changed this agent's presence (e.g. set away after an expired offer) */
  'agent:presence': (payload: { state: PresenceState; reason: string }) => void;
  /** extension: the caller hung up on a connected contact; complete it with contact:complete */
  'contact:ended': (payload: { contactId: string; reason: string }) => void;
  /** extension: on (re)connect, each contact the agent still holds (accepted, not yet completed) */
  'contact:connected': (payload: ConnectedContactPayload) => void;
}

export type Ack = (response: { ok: true; [key: string]: unknown } | { ok: false; error: string }) => void;

export const AGENT_CLIENT_EVENTS = [
  'agent:status',
  'offer:accept',
  'offer:reject',
  'contact:complete',
] as const;

export const rooms = {
  agent: (agentId: string) => `agent:${agentId}`,
  /** agents grouped by the exact set of lines they serve share one queue snapshot */
  lineSet: (lines: readonly string[]) => `lines:${[...lines].sort().join('+')}`,
};
