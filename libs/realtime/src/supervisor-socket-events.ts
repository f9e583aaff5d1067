import type { Agent } from '@tether/agents';
import type { Channel, Line, PresenceState } from '@tether/routing';
import type { AckedEventListeners, AckError, EventListeners, QueueSnapshot } from './agent-socket-events';
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

/** Server → client on /supervisors (`auth: { token }`): the floor, filtered to the lines the token may see. */
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
  /**
   * extension: the live view of the lines this supervisor may see: each line's waiting contacts (one page, in service
   * order, with why each waits), today's figures, and the agents with state and load. On connect, then on change,
   * coalesced: at most one per 500 ms per socket; bounded in size however many wait (`live:page` turns the page)
   */
  'live:view': LiveViewPayload;
  /** extension: a supervisor acted (force-assign, agent status, case reassign); sent at once to every supervisor who can see the line */
  'supervisor:action': SupervisorActionPayload;
}

/** A waiting contact in the live view. */
export interface LiveWaitingContact {
  contactId: string;
  channel: Channel;
  waitingSeconds: number;
  priority: number;
  /** the stage of its routing rule's plan it is in (1-based); null without a plan */
  stage: number | null;
  /**
   * why it has not been offered yet, e.g. `preferred agent`, `no agent with the skills`, `no free agent with the
   * skills`, `callback window`, `transfer to a named agent`, `stage 1: …`; null when the next pass can offer it
   */
  heldFor: string | null;
  customer: { id: string | null; known: boolean; name: string | null };
}

/** One line's page of waiting contacts: `total` wait in all, `contacts` is page `page` (0-based) of `pageSize`. */
export interface LiveWaitingPage {
  total: number;
  page: number;
  pageSize: number;
  contacts: LiveWaitingContact[];
}

/** Today's (UTC) figures of a line so far, as `metrics:live` has them (refreshed every 5 s). */
export interface LiveLineToday {
  offered: number;
  answered: number;
  abandoned: number;
  /** % answered within the line's target; null before any contact today */
  serviceLevel: number | null;
  longestWaitSeconds: number | null;
}

export interface LiveViewLine {
  line: Line;
  waiting: LiveWaitingPage;
  today: LiveLineToday;
}

/** An agent of a visible line in the live view. */
export interface LiveViewAgent {
  agentId: string;
  name: string;
  status: PresenceState;
  lines: Line[];
  /** channel -> contacts held now (pending offers and connected contacts) */
  load: Partial<Record<Channel, number>>;
  /** the contact they are connected to (else the one offered to them), null when none */
  contactId: string | null;
  /** seconds since their presence last changed */
  inStateSeconds: number;
}

export interface LiveViewPayload {
  /** @format date-time */
  at: string;
  lines: LiveViewLine[];
  agents: LiveViewAgent[];
}

export type SupervisorActionName = 'contact:assign' | 'agent:status' | 'case:reassign';

export interface SupervisorActionPayload {
  action: SupervisorActionName;
  /** who did it: the audit log's actor (`admin:<12 hex>`, `user:<id>`) */
  actor: string;
  /** @format date-time */
  at: string;
  /** the line concerned (the contact's or the case's); absent for an agent's status */
  line?: Line;
  contactId?: string;
  agentId?: string;
  caseId?: string;
  status?: PresenceState;
  ownerId?: string;
}

export interface LivePagePayload {
  line: Line;
  /** 0-based */
  page: number;
}
export interface ContactAssignPayload {
  contactId: string;
  agentId: string;
}
export interface SupervisorAgentStatusPayload {
  agentId: string;
  status: PresenceState;
}
export interface CaseReassignPayload {
  caseId: string;
  ownerId: string;
}
export type LivePageAck = { ok: true } | AckError;
export type ContactAssignAck = { ok: true; offerId: string } | AckError;
export type SupervisorAgentStatusAck = { ok: true; state: PresenceState } | AckError;
export type CaseReassignAck = { ok: true } | AckError;

/**
 * Client → server on /supervisors: each acknowledged `{ ok: true, ... }` or `{ ok: false, error }` (the error names
 * the field at fault). Actions need the admin or supervisor role and the line in scope; each is audited
 * (`audit_log`, action `socket <event>`) and announced as `supervisor:action`.
 */
export interface SupervisorClientEvents {
  /** extension: this socket's page of a line's waiting contacts (0-based); a `live:view` follows */
  'live:page': { payload: LivePagePayload; ack: LivePageAck };
  /**
   * extension: force-assign: offer the waiting contact to this agent now, whatever the rules say (the agent signed in
   * with a free slot on its channel; another agent's pending offer of it is revoked); the offer is a routed one
   * (reason `supervisor`, same timer)
   */
  'contact:assign': { payload: ContactAssignPayload; ack: ContactAssignAck };
  /** extension: set another agent's presence (available, away, offline); the agent's own sockets are told */
  'agent:status': { payload: SupervisorAgentStatusPayload; ack: SupervisorAgentStatusAck };
  /** extension: hand a case to another agent (as `PATCH /v1/cases/{id}` with `ownerId`) */
  'case:reassign': { payload: CaseReassignPayload; ack: CaseReassignAck };
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
export type SupervisorClientToServerEvents = AckedEventListeners<SupervisorClientEvents>;
