import type { Channel, Line, PresenceState } from '@tether/routing';
import type { CaseNotice, CaseStory, CaseSummary, CaseUpdateReason } from './case-payloads';
import type { CallbackListing, CallbackMissedPayload, CallbackReminderPayload } from './callback-payloads';
import type {
  ConnectedContactPayload,
  ConversationMessagePayload,
  OfferPayload,
  OfferRevokeReason,
} from './tether-events';

/*
 * The client-facing socket.io events of the /agents namespace, both directions: docs/contract.md's fixed names and
 * core fields, plus documented extensions. These maps are declared once and used by the gateway's Socket and
 * Namespace types, by the test client's socket (@tether/testing) and by `npm run docs:events`, which writes
 * docs/asyncapi.yaml and the README's event tables from them: a member's doc comment is its row's text there.
 */

/** Every client event is answered through its acknowledgement: `{ ok: true, ... }` or this. */
export interface AckError {
  ok: false;
  /** why, in words an agent's client can show (every invalid field is named) */
  error: string;
}

export interface AgentStatusPayload {
  state: PresenceState;
}

export interface OfferAcceptPayload {
  offerId: string;
}

export interface OfferRejectPayload {
  offerId: string;
  /** free text, at most 200 characters */
  reason?: string;
}

export interface ContactCompletePayload {
  contactId: string;
  resolution: 'resolved' | 'unresolved' | 'follow_up';
  /** at most 10,000 characters; they join the customer's history */
  notes?: string;
  /**
   * extension: what the problem is about (at most 200 characters): links the contact to the customer's open case
   * with this subject on the line, or names the case a `follow_up`/`unresolved` contact opens
   */
  subject?: string;
  /** extension: link the contact to this case of the customer's (it may reopen a resolved one) */
  caseId?: string;
}

/** Extension: hand a connected contact on. */
export interface ContactTransferPayload {
  contactId: string;
  /** an agent by id (on the contact's line), a line by name, or the owner of the customer's open case */
  to: { agentId: string } | { line: string } | { caseOwner: true };
  /** for the agent who takes it (at most 2,000 characters) */
  note?: string;
  /** warm: you stay on the contact until the target accepts; cold: you are released at once */
  mode: 'warm' | 'cold';
}

/** Extension: the agent's own open cases. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CasesListPayload {}

export interface CaseHandoverPayload {
  caseId: string;
  /** the agent who owns the case from now on */
  toAgentId: string;
}

export type AgentStatusAck = { ok: true; state: PresenceState } | AckError;
export type OfferAcceptAck = { ok: true; contactId: string } | AckError;
export type OfferRejectAck = { ok: true; contactId: string } | AckError;
export type ContactCompleteAck =
  | {
      ok: true;
      contactId: string;
      /**
       * when the agent's slot frees again (the line's `wrapUpSeconds`); null without wrap-up
       * @format date-time
       */
      wrapUpUntil: string | null;
      /** the case the contact now belongs to (opened or linked), else null */
      caseId: string | null;
    }
  | AckError;
export type CasesListAck = { ok: true; cases: CaseSummary[] } | AckError;
export type ContactTransferAck =
  | {
      ok: true;
      transferId: string;
      contactId: string;
      /** the line the contact now waits on */
      line: Line;
    }
  | AckError;
export type CaseHandoverAck = { ok: true; case: CaseStory } | AckError;

/**
 * A callback an agent schedules: about a contact they handled (`contactId`), a case (`caseId`), a customer
 * (`customerId`) or a number; at least one of them. Aimed at the case's owner, else at the agent.
 */
export interface CallbackSchedulePayload {
  contactId?: string;
  caseId?: string;
  customerId?: string;
  /** E.164; default the customer's phone */
  number?: string;
  /** default the contact's or case's line, else the agent's first line; must be one the agent serves */
  line?: Line;
  /**
   * not before this (default now)
   * @format date-time
   */
  windowStart?: string;
  /**
   * made by then (default windowStart + the line's callback.dueSeconds)
   * @format date-time
   */
  dueAt?: string;
  note?: string;
}
export type CallbackScheduleAck =
  | {
      ok: true;
      callbackId: string;
      contactId: string;
      callId: string;
      /** @format date-time */
      dueAt: string;
      ownerAgentId: string;
    }
  | AckError;

/** A call the agent places now: to a customer (`customerId`) or a number, optionally about a case. */
export interface ContactDialPayload {
  customerId?: string;
  /** E.164; default the customer's phone */
  number?: string;
  caseId?: string;
  line?: Line;
}
export type ContactDialAck = { ok: true; contactId: string; callId: string; line: Line } | AckError;

/** A reply on a messaging contact the agent holds (chat, e-mail, messenger, social). */
export interface MessageSendPayload {
  contactId: string;
  text: string;
}
export type MessageSendAck = { ok: true; messageId: string; seq: number } | AckError;

/** Extension: the agent's own open callbacks. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CallbacksListPayload {}
export type CallbacksListAck = { ok: true; callbacks: CallbackListing[] } | AckError;

/** Client → server on /agents: what each event carries and what its acknowledgement answers. */
export interface AgentClientEvents {
  /** set presence */
  'agent:status': { payload: AgentStatusPayload; ack: AgentStatusAck };
  /** take the offered contact */
  'offer:accept': { payload: OfferAcceptPayload; ack: OfferAcceptAck };
  /** decline; the contact is routed on, not to this agent again for this contact */
  'offer:reject': { payload: OfferRejectPayload; ack: OfferRejectAck };
  /** end of work on the contact; the agent's slot frees after the line's wrap-up */
  'contact:complete': { payload: ContactCompletePayload; ack: ContactCompleteAck };
  /**
   * extension: hand a connected contact on, to an agent, a line or the case owner, with a note; the contact keeps its
   * id and the receiving agent's offer carries the whole context and the note
   */
  'contact:transfer': { payload: ContactTransferPayload; ack: ContactTransferAck };
  /** extension: the agent's open cases (overdue first, then by due time, then most recently changed) */
  'cases:list': { payload: CasesListPayload; ack: CasesListAck };
  /** extension: the owner hands one of their cases to another agent (end of shift, holiday) */
  'case:handover': { payload: CaseHandoverPayload; ack: CaseHandoverAck };
  /**
   * extension: schedule a callback (a new outbound contact, routed when its window opens, case owner first); whoever
   * accepts it gets the customer dialled (`contact.dial`)
   */
  'callback:schedule': { payload: CallbackSchedulePayload; ack: CallbackScheduleAck };
  /**
   * extension: place a call now: an outbound contact connected to this agent at once (a free voice slot needed), the
   * telephony platform asked to dial (`contact.dial`); complete it with `contact:complete` as any contact
   */
  'contact:dial': { payload: ContactDialPayload; ack: ContactDialAck };
  /** extension: the callbacks this agent owns that are still to be made, soonest due first */
  'callbacks:list': { payload: CallbacksListPayload; ack: CallbacksListAck };
  /**
   * extension: reply on a messaging contact the agent holds; acked once stored, then delivered to the platform
   * (TETHER_CHANNEL_URL) in the conversation's order
   */
  'message:send': { payload: MessageSendPayload; ack: MessageSendAck };
}

export type AgentClientEvent = keyof AgentClientEvents;

export interface QueueSnapshot {
  /** how many contacts wait on these lines (the list holds the first 50 in serving order) */
  total: number;
  waiting: { contactId: string; line: Line; channel: Channel; waitingSeconds: number; priority: number }[];
}

export interface OfferRevokedPayload {
  offerId: string;
  contactId: string;
  reason: OfferRevokeReason;
}

export interface AgentPresencePayload {
  state: PresenceState;
  /** why it changed, e.g. `offer_expired` */
  reason: string;
}

export interface ContactEndedPayload {
  contactId: string;
  /** e.g. `caller_hung_up` */
  reason: string;
}

/** Server → client on /agents. */
export interface AgentServerEvents {
  /**
   * the customer's `phone` is masked; on connect, pending offers are re-sent; an offer whose announcement was lost (a
   * Redis outage) is sent within `TETHER_AGENT_RESYNC_MS`. A socket gets each offer once
   */
  offer: OfferPayload;
  /**
   * sent to the sockets that were sent the offer, once (also when its announcement was lost: within
   * `TETHER_AGENT_RESYNC_MS`)
   */
  'offer:revoked': OfferRevokedPayload;
  /**
   * the lines this agent serves, on connect and on change (coalesced: at most one per `TETHER_QUEUE_SNAPSHOT_MS`);
   * `waiting` lists the first 50 in serving order, `total` counts them all
   */
  queue: QueueSnapshot;
  /** extension: the server changed this agent's presence (e.g. `away` after an expired offer) */
  'agent:presence': AgentPresencePayload;
  /**
   * extension: the caller hung up a connected contact; complete it when done (on connect, after the
   * `contact:connected` of a contact whose caller hung up meanwhile)
   */
  'contact:ended': ContactEndedPayload;
  /**
   * extension: on connect, one per contact the agent holds (accepted, not yet completed), oldest first, so a client
   * that reconnects (to any gateway) picks its work up again; the same contact and customer card as in `offer`
   */
  'contact:connected': ConnectedContactPayload;
  /**
   * extension: one of the agent's cases changed: opened or linked by a completion, handed to them (`handed_over`) or
   * away from them (`handed_away`), changed by an admin, or past its due time (`overdue`)
   */
  'case:updated': CaseUpdatedPayload;
  /** extension: a contact this agent transferred was accepted; it is no longer theirs */
  'contact:transferred': ContactTransferredPayload;
  /**
   * extension: a contact this agent transferred came back: warm, it is theirs as before; cold, it waits on its former
   * line and is offered to them first
   */
  'contact:transfer-returned': ContactTransferReturnedPayload;
  /**
   * extension: something about their case happened while they were not there ("your customer called; Bob took
   * it"), sent at once when they are connected, else on their next connect; each notice is sent once
   */
  'case:notice': CaseNotice;
  /** extension: the customer wrote again on a messaging contact this agent holds */
  message: ConversationMessagePayload;
  /** extension: a callback this agent owns is due soon (the line's `callback.reminderSeconds` before) */
  'callback:reminder': CallbackReminderPayload;
  /**
   * extension: a callback of this agent's (or their team's) passed its due time unmade: it goes first on its line now
   */
  'callback:missed': CallbackMissedPayload;
}

export interface ContactTransferredPayload {
  contactId: string;
  transferId: string;
  /** who accepted it: the contact is theirs now (a warm transfer's agent is released) */
  toAgentId: string;
}

export interface ContactTransferReturnedPayload {
  contactId: string;
  transferId: string;
  mode: 'warm' | 'cold';
  /** why nobody took it, e.g. `agent … is away`, `nobody took it within 60 s` */
  reason: string;
}

export interface CaseUpdatedPayload {
  caseId: string;
  reason: CaseUpdateReason;
  case: CaseStory;
}

/** socket.io's shape of a map of events the receiver acknowledges: `(payload, ack) => void`. */
export type AckedEventListeners<M extends { [E in keyof M]: { payload: unknown; ack: unknown } }> = {
  [E in keyof M]: (payload: M[E]['payload'], ack: (response: M[E]['ack']) => void) => void;
};

/** socket.io's shape of a map of events without acknowledgement: `(payload) => void`. */
export type EventListeners<M> = { [E in keyof M]: (payload: M[E]) => void };

export type AgentClientToServerEvents = AckedEventListeners<AgentClientEvents>;
export type AgentServerToClientEvents = EventListeners<AgentServerEvents>;

export const rooms = {
  agent: (agentId: string) => `agent:${agentId}`,
  /** agents grouped by the exact set of lines they serve share one queue snapshot */
  lineSet: (lines: readonly string[]) => `lines:${[...lines].sort().join('+')}`,
};
