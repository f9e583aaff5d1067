import type { AckError, AgentServerEvents } from '@tether/realtime';

/**
 * What outside clients see on the wire (docs/contract.md plus the documented extensions). The REST shapes are
 * declared here rather than imported from the libs on purpose: the e2e tests drive Tether the way an IVR or an
 * agent's desktop does, so a change to the product's own types does not silently change what the tests expect. The
 * socket.io events are the exception: their typed event map in @tether/realtime is itself the published contract
 * (docs/asyncapi.yaml is generated from it), so the test client uses it rather than a second copy.
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

import type { CallbackView } from '@tether/realtime';

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
  direction?: 'inbound' | 'outbound';
  callbackOffered?: boolean;
  callback?: CallbackView | null;
  /** a line rule or the line's queue limit sent the contact to another line's queue at arrival */
  redirect?: { line: Line; reason: string | null };
}

/**
 * The 202 answer to a hang-up for a callId the line has not seen yet: remembered until `rememberedUntil`, and the
 * call's webhook, if it comes before then, answers with status `ended`. (`endReason` is never set: it is there so a
 * test can read `endReason` off either answer of a hang-up.)
 */
export interface HangupRemembered {
  callId: string;
  line: Line;
  status: 'ended';
  contactId: null;
  rememberedUntil: string;
  endReason?: undefined;
}

/** A hang-up's answer: 200 with the call, or 202 with what was remembered. */
export type HangupAnswer = CallView | HangupRemembered;

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
  deputyId?: string | null;
  team?: string | null;
}

export interface AgentView extends NewAgentBody {
  id: string;
  skills: Record<string, number>;
  capacity: Partial<Record<Channel, number>>;
  presence: { state: PresenceState; connected: boolean; since: string };
}

/** `POST /v1/agents/{id}/tokens` */
export interface IssuedAgentToken {
  agentId: string;
  tokenId: string;
  token: string;
  expiresAt: string;
}

/** An entry of `GET /v1/agents/{id}/tokens`: never the token itself */
export interface AgentTokenView {
  id: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
}

export interface NewCustomerBody {
  name: string;
  phones: string[];
  emails?: string[];
  externalRef?: string;
  attributes?: Record<string, string>;
  noticeChannel?: 'sms' | 'email' | null;
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

/** GET /v1/customers/{id}/export: everything Tether holds about the customer */
export interface CustomerExportView {
  exportedAt: string;
  customer: {
    id: string;
    name: string | null;
    known: boolean;
    externalRef: string | null;
    createdAt: string;
  };
  identities: { kind: string; value: string; createdAt: string }[];
  contacts: {
    id: string;
    callId: string;
    line: Line;
    channel: string;
    status: string;
    from: string | null;
    to: string | null;
    ivr: Record<string, unknown> | null;
    agentId: string | null;
    resolution: string | null;
    notes: string | null;
    createdAt: string;
    connectedAt: string | null;
    completedAt: string | null;
    erasedAt: string | null;
    offers: { id: string; agentId: string; state: string }[];
  }[];
  cases: { id: string; subject: string; status: string; ownerId: string | null; contactIds: string[] }[];
  notices: { incidentId: string; channel: string; to: string | null; text: string | null }[];
}

export interface IntentRule {
  skills: Record<string, number>;
  priority?: number;
}

/** A line rule as PUT /v1/lines/{line}/routing takes it (README, "Routing rules"). */
export interface LineRule {
  name: string;
  when?: {
    intent?: string[];
    digits?: string[];
    language?: string[];
    channel?: string[];
    fromPrefix?: string[];
    known?: boolean;
    attributes?: Record<string, (string | number | boolean)[]>;
    openCase?: boolean;
    openCaseOn?: string[];
    repeatWithinDays?: number;
    businessHours?: 'open' | 'closed';
    incident?: boolean;
  };
  priority?: number;
  skills?: Record<string, number>;
  stages?: { seconds?: number; preferred?: true; agents?: string[]; skills?: Record<string, number> }[];
  announcement?: string;
  priorityGrowth?: { by: number; everySeconds: number; max?: number };
  redirect?: { line: Line; reason: string };
  queueLimit?: LineQueueLimit;
  offerCallback?: true;
  /** when the last stage ends and the contact still waits (README, "Routing rules") */
  afterStages?: { line?: Line; callback?: true; announcement?: string; reason?: string };
  /** while the line's calendar is closed: a message contact held until it opens, a call offered a callback */
  holdUntilOpen?: true;
}

export interface LineQueueLimit {
  maxWaiting?: number;
  maxWaitSeconds?: number;
  overflow: { line?: Line; callback?: true; refuse?: true; reason?: string };
}

export interface LineCalendar {
  timeZone: string;
  weekly: Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', [string, string][]>>;
  holidays?: string[];
}

/** GET|PUT /v1/lines/{line}/routing */
export interface RoutingRules {
  sticky: { enabled: boolean; waitSeconds: number; horizonDays?: number; acrossChannels?: boolean };
  offerTimeoutSeconds: number;
  wrapUpSeconds: number;
  intents?: Record<string, IntentRule>;
  callback?: {
    offerAfterWaitSeconds?: number | null;
    dueSeconds?: number;
    reminderSeconds?: number;
    maxAttempts?: number;
    retrySeconds?: number;
  };
  rules?: LineRule[];
  calendar?: LineCalendar;
  neverMatch?: { agentId: string; customerId: string }[];
  queueLimit?: LineQueueLimit;
  channels?: Partial<
    Record<Channel, { offerTimeoutSeconds?: number; wrapUpSeconds?: number; idleSeconds?: number }>
  >;
  crossChannel?: {
    blocks?: Partial<Record<Channel, Channel[]>>;
    weights?: Partial<Record<Channel, number>>;
    maxWeight?: number;
  };
}

export interface RoutingRulesView extends RoutingRules {
  line: Line;
  version: number;
  updatedAt: string;
  /** rules naming an agent since deleted */
  warnings?: string[];
}

/** Server -> agent events, as the typed event map declares them */
export type OfferEvent = AgentServerEvents['offer'];
export type OfferRevokedEvent = AgentServerEvents['offer:revoked'];
export type QueueEvent = AgentServerEvents['queue'];
export type PresenceEvent = AgentServerEvents['agent:presence'];
/** on (re)connect, each contact the agent holds (accepted, not completed) */
export type ConnectedContactEvent = AgentServerEvents['contact:connected'];
export type ContactEndedEvent = AgentServerEvents['contact:ended'];
export type CaseUpdatedEvent = AgentServerEvents['case:updated'];
export type CaseNoticeEvent = AgentServerEvents['case:notice'];
/** `GET /v1/cases/{id}`, `PATCH` answers, and the story on offers */
export type CaseView = CaseUpdatedEvent['case'];

/** What any agent event's ack answers (each event's own ack type is in AgentClientEvents). */
export type AckResponse = ({ ok: true } & Record<string, unknown>) | AckError;

/** The answer of POST /v1/messages on a line app. */
export interface MessageAnswer {
  contactId: string;
  status: ContactStatus;
  customer: { id: string; known: boolean };
}
