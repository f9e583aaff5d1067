/**
 * What outside clients see on the wire (../shared/CONTRACT.md plus the documented extensions). Declared here rather
 * than imported from the libs on purpose: the e2e tests drive Tether the way an IVR or an agent's desktop does, so
 * a change to the product's own types does not silently change what the tests expect.
 */

/** A line's name: a row of the `lines` table. `sales`, `presales` and `service` by default; any added row too. */
export type Line = string;
export type Channel = 'voice' | 'chat' | 'email' | 'messenger';
export type PresenceState = 'available' | 'away' | 'offline';
export type ContactStatus = 'queued' | 'offered' | 'connected' | 'ended';
export type Resolution = 'resolved' | 'unresolved' | 'follow_up';

export interface IvrInfo {
  intent?: string;
  digits?: string;
  language?: string;
}

/** POST /v1/telephony/calls */
export interface StartCallBody {
  callId: string;
  from: string;
  to: string;
  ivr?: IvrInfo;
}

/** The answer of POST and GET /v1/telephony/calls[/{callId}] and of call events. */
export interface CallView {
  contactId: string;
  callId: string;
  status: ContactStatus;
  customer: { id: string; known: boolean };
  announcement: string | null;
  queuePosition: number | null;
  estimatedWaitSeconds: number | null;
  agent?: { id: string };
  endReason?: string | null;
}

/** The 4xx body every app sends. */
export interface ErrorBody {
  statusCode: number;
  error?: string;
  message: string;
}

export interface NewAgentBody {
  name: string;
  lines: Line[];
  skills?: Record<string, number>;
  capacity?: Partial<Record<Channel, number>>;
}

export interface AgentView extends NewAgentBody {
  id: string;
  skills: Record<string, number>;
  capacity: Partial<Record<Channel, number>>;
  presence: { state: PresenceState; connected: boolean; since: string };
}

export interface NewCustomerBody {
  name: string;
  phones: string[];
  emails?: string[];
  externalRef?: string;
}

export interface HistoryEntry {
  id: string;
  line: Line;
  channel: Channel;
  agentId: string | null;
  resolution: Resolution | null;
  notes: string | null;
  startedAt: string;
}

export interface CustomerView {
  id: string;
  name: string | null;
  known: boolean;
  phones: string[];
  contacts: HistoryEntry[];
}

export interface IntentRule {
  skills: Record<string, number>;
  priority?: number;
}

/** GET|PUT /v1/lines/{line}/routing */
export interface RoutingRules {
  sticky: { enabled: boolean; waitSeconds: number; horizonDays?: number };
  offerTimeoutSeconds: number;
  wrapUpSeconds: number;
  intents?: Record<string, IntentRule>;
}

export interface RoutingRulesView extends RoutingRules {
  line: Line;
  version: number;
  updatedAt: string;
}

/** Server -> agent `offer` */
export interface OfferEvent {
  offerId: string;
  expiresAt: string;
  reason: string;
  contact: { id: string; line: Line; channel: Channel; callId?: string; ivr?: IvrInfo };
  customer: {
    id: string;
    known: boolean;
    name?: string | null;
    recentContacts?: HistoryEntry[];
  };
}

export interface OfferRevokedEvent {
  offerId: string;
  contactId?: string;
  reason: string;
}

export interface QueueEvent {
  waiting: { contactId: string; line: Line; channel: Channel; waitingSeconds: number }[];
}

export interface PresenceEvent {
  state: PresenceState;
  reason: string;
}

/** Server -> agent `contact:connected`: on (re)connect, each contact the agent holds (accepted, not completed) */
export interface ConnectedContactEvent {
  contactId: string;
  connectedAt: string;
  contact: { id: string; line: Line; channel: Channel; callId?: string; ivr?: IvrInfo };
  customer: {
    id: string;
    known: boolean;
    name?: string | null;
    recentContacts?: HistoryEntry[];
  };
}

export interface ContactEndedEvent {
  contactId: string;
  reason: string;
}

/** Every agent event answers through its ack with one of these. */
export type AckResponse = ({ ok: true } & Record<string, unknown>) | { ok: false; error: string };
