import type { Channel, Line, OfferReason, PresenceState } from '@tether/routing';
import type { CaseStory, CaseUpdateReason } from './case-payloads';
import type { SupervisorActionPayload } from './supervisor-socket-events';

/** What an agent's client sees in an `offer` (contract: offerId, expiresAt, reason, contact, customer). */
export interface OfferPayload {
  offerId: string;
  /** @format date-time */
  expiresAt: string;
  reason: OfferReason;
  /** the routing engine's human-readable why */
  trace: string;
  contact: OfferContact;
  customer: CustomerCard;
  /** the story so far of the customer's open case this contact belongs to (owner, status, last contacts), else null */
  case: CaseStory | null;
  /** when this offer is a transfer: who transferred it, from which line, how, and their note; else null */
  transfer: TransferCard | null;
}

/** An active incident that affects the caller, as the agent sees it: likely why they call. */
export interface IncidentCard {
  id: string;
  title: string;
  status: 'open' | 'monitoring' | 'resolved';
  /** @format date-time */
  eta: string | null;
  /** what the caller heard before queueing */
  announcement: string;
  /**
   * when this customer was last sent a notice of it (their SMS gateway or e-mail accepted it), else null
   * @format date-time
   */
  notifiedAt: string | null;
}

/** A pending transfer, as the agent offered it sees it. */
export interface TransferCard {
  id: string;
  /** `agent` (to them by name), `line`, or `case_owner` */
  kind: 'agent' | 'line' | 'case_owner';
  mode: 'warm' | 'cold';
  from: { id: string; name: string };
  fromLine: Line;
  /** the line it waits on now (the contact's own `line` stays the line the call arrived on) */
  toLine: Line;
  note: string | null;
  /** @format date-time */
  createdAt: string;
}

/** The contact in an offer (and in `contact:connected`). */
export interface OfferContact {
  id: string;
  line: Line;
  channel: Channel;
  /** the telephony platform's id of the call */
  callId: string;
  /** what the IVR collected (intent, digits, language, …), as the platform sent it */
  ivr?: Record<string, unknown>;
  /** @format date-time */
  enqueuedAt: string;
  /** what the IVR played the caller before queueing (e.g. a known incident), else null */
  announcement: string | null;
  /** `inbound` (the customer called) or `outbound` (a callback an agent scheduled, an agent's dial) */
  direction: 'inbound' | 'outbound';
  /**
   * the callback this contact waits as (accepting it gets the customer dialled once they are off the line), else
   * null
   */
  callback: OfferCallbackCard | null;
  /** a messaging contact's conversation so far (the last 20 messages, oldest first); empty for a call */
  messages: ConversationMessageCard[];
  /**
   * present when a line rule or a queue limit sent the contact at arrival from the line it called (`fromLine`, the
   * contact's `line`) to the queue of `toLine`, with the reason the IVR told the caller
   */
  redirect?: RedirectCard;
}

/** A cross-line redirect or overflow at arrival, as the agent offered the contact sees it. */
export interface RedirectCard {
  fromLine: Line;
  toLine: Line;
  reason: string | null;
}

/** One message of a conversation (chat, e-mail, messenger, social), as the agent sees it. */
export interface ConversationMessageCard {
  id: string;
  seq: number;
  /** `in` from the customer, `out` an agent's reply */
  direction: 'in' | 'out';
  agentId: string | null;
  text: string | null;
  attachments: unknown[];
  /** @format date-time */
  at: string;
}

/** A customer's new message on a contact the agent holds. */
export interface ConversationMessagePayload extends ConversationMessageCard {
  contactId: string;
}

/** A callback as the agent offered it sees it. */
export interface OfferCallbackCard {
  id: string;
  /** `caller` (confirmed in the IVR) or `agent` (scheduled by an agent: see `note`) */
  requestedBy: 'caller' | 'agent';
  /** @format date-time */
  dueAt: string;
  /** dial attempts made so far */
  attempts: number;
  /** whether the customer hung up (or was never on the line): accepting dials them */
  callerLeft: boolean;
  /** the scheduling agent's note */
  note: string | null;
  /**
   * when it passed its due time unmade (escalated), else null
   * @format date-time
   */
  missedAt: string | null;
}

/**
 * A contact the agent holds (accepted, not yet completed), re-sent when their socket (re)connects so a client that
 * lost its state picks up its work again: the same contact and customer card as the offer it came from.
 */
export interface ConnectedContactPayload {
  contactId: string;
  /** @format date-time */
  connectedAt: string;
  contact: OfferContact;
  customer: CustomerCard;
  /** the story so far of the contact's case, as in `offer` */
  case: CaseStory | null;
}

export interface CustomerCard {
  id: string;
  /** the incident that affects this caller (their contact is linked to it), else null */
  incident: IncidentCard | null;
  known: boolean;
  name: string | null;
  externalRef: string | null;
  /** masked: the agent sees who is calling without the raw number travelling in every event */
  phone: string | null;
  recentContacts: {
    id: string;
    line: Line;
    channel: Channel;
    agentId: string | null;
    resolution: string | null;
    notes: string | null;
    /** @format date-time */
    startedAt: string;
  }[];
}

export type OfferRevokeReason =
  | 'expired'
  | 'caller_hung_up'
  | 'agent_disconnected'
  | 'agent_offline'
  | 'agent_removed'
  | 'transfer_returned'
  | 'callback_cancelled'
  | 'conversation_idle'
  /** a supervisor force-assigned the contact to another agent */
  | 'supervisor_assigned';

/**
 * Internal, dot-namespaced events. Every process publishes them; gateways turn them into socket.io emits. They cross
 * a Redis Stream that keeps the last ~2 minutes of events, so they carry ids and codes only, never personal data (no
 * name, number, note or IVR input): what an agent is shown is read from PostgreSQL by the gateway that shows it.
 */
export type TetherEvent =
  /** a routing pass made an offer: the agent's gateway reads its payload (`OfferPayload`) and sends it */
  | { type: 'offer.created'; agentId: string; offerId: string }
  | { type: 'offer.revoked'; agentId: string; offerId: string; contactId: string; reason: OfferRevokeReason }
  | { type: 'queue.changed'; lines: Line[] }
  | { type: 'agent.presence'; agentId: string; state: PresenceState; reason: string }
  | { type: 'contact.connected'; agentId: string; contactId: string; line: Line }
  | { type: 'contact.ended'; agentId: string; contactId: string; reason: string }
  /** an admin deleted the agent: their sockets are closed */
  | { type: 'agent.removed'; agentId: string }
  /** an admin changed the agent's lines: their sockets move to the new line-set room */
  | { type: 'agent.updated'; agentId: string; lines: Line[] }
  /** an admin revoked these tokens of the agent: every gateway closes its sockets that were opened with one */
  | { type: 'agent.tokens.revoked'; agentId: string; tokenIds: string[] }
  /** a case changed in a way these agents (its owner, a former owner) should see: their gateways read and send it */
  | { type: 'case.updated'; caseId: string; agentIds: string[]; reason: CaseUpdateReason }
  /** a notice for a case owner was recorded: the gateway holding their sockets delivers it (and marks it delivered) */
  | { type: 'case.notice'; agentId: string; noticeId: string }
  /** a transfer was accepted: the agent who made it is released (warm) and told */
  | { type: 'contact.transferred'; agentId: string; contactId: string; transferId: string; toAgentId: string }
  /** a transfer nobody could take came back to the agent who made it */
  | {
      type: 'contact.transfer.returned';
      agentId: string;
      contactId: string;
      transferId: string;
      mode: 'warm' | 'cold';
      reason: string;
    }
  /** a case passed its due time still open: supervisors are told */
  /** `line`: the case's, so only supervisors of that line are told */
  | { type: 'case.overdue'; caseId: string; ownerId: string | null; line: Line }
  /** a customer's message joined a conversation this agent holds: their gateway reads and sends it */
  | { type: 'message.received'; agentId: string; contactId: string; messageId: string }
  /** a callback is due soon and still waiting: its owner is reminded */
  | { type: 'callback.reminder'; agentId: string; callbackId: string; contactId: string; dueAt: string }
  /**
   * a callback passed its due time unmade: escalated (it goes first on its line), its owner and their team (agentIds)
   * and the supervisors are told
   */
  | {
      type: 'callback.missed';
      callbackId: string;
      contactId: string;
      line: Line;
      ownerId: string | null;
      agentIds: string[];
    }
  /**
   * a supervisor acted (force-assign, another agent's status, case reassign): every gateway tells the supervisors who
   * can see one of `lines`. Ids, codes and the actor's non-secret name only
   */
  | { type: 'supervisor.action'; action: SupervisorActionPayload; lines: Line[] };

export type TetherEventType = TetherEvent['type'];
