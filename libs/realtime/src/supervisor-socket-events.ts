import type { Agent } from '@tether/agents';
import type { Line, PresenceState } from '@tether/routing';
import type { EventListeners, QueueSnapshot } from './agent-socket-events';
import type { CallbackMissedPayload } from './callback-payloads';

export interface SupervisorPresencePayload {
  agentId: string;
  state: PresenceState;
  /** why it changed: `agent` (they set it), `disconnected`, `offer_expired`, … */
  reason: string;
}

export interface SupervisorConnectedPayload {
  agentId: string;
  contactId: string;
  line: Line;
}

/** Server → client on /supervisors (an admin token in `auth: { token }`): the floor, read-only. */
export interface SupervisorServerEvents {
  /** the roster on connect: every agent as `GET /v1/agents` lists them */
  agents: Agent[];
  /** all lines' queue, on connect and on change (coalesced: at most one per 500 ms) */
  queue: QueueSnapshot;
  /** an agent's presence changed */
  'agent:presence': SupervisorPresencePayload;
  /** an agent accepted a contact */
  'contact:connected': SupervisorConnectedPayload;
  /** a case passed its due time and is still open */
  'case:overdue': SupervisorCaseOverduePayload;
  /** a callback passed its due time unmade: escalated (it goes first on its line) */
  'callback:missed': CallbackMissedPayload;
  /** live figures per line, on connect and every 5 s: waiting now, and today's (UTC) outcome figures so far */
  'metrics:live': SupervisorLiveMetricsPayload;
}

export interface SupervisorLiveLine {
  line: Line;
  /** contacts waiting in the queue now */
  waiting: number;
  /** how long the longest-waiting of them has waited, seconds; null when nobody waits */
  longestWaitingSeconds: number | null;
  /** the contacts that arrived today (UTC), as `GET /v1/reports/lines` counts them */
  today: {
    offered: number;
    answered: number;
    abandoned: number;
    /** % answered within the line's target */
    serviceLevel: number | null;
    serviceLevelTargetSeconds: number;
    asaSeconds: number | null;
    ahtSeconds: number | null;
    longestWaitSeconds: number | null;
    csatScore: number | null;
  };
}

export interface SupervisorLiveMetricsPayload {
  /** @format date-time */
  at: string;
  lines: SupervisorLiveLine[];
}

export interface SupervisorCaseOverduePayload {
  caseId: string;
  /** null when the case is its team's */
  ownerId: string | null;
}

export type SupervisorServerToClientEvents = EventListeners<SupervisorServerEvents>;
/** Supervisors only watch: the namespace listens to no client event. */
export type SupervisorClientToServerEvents = Record<string, never>;
