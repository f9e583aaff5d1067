import type { Line } from '@tether/routing';

/*
 * The callback payloads agents, supervisors and the telephony side see (socket.io events, REST): declared here,
 * beside the other event payloads, so the event maps and the docs generator read them; @tether/contacts re-exports
 * them. Never the number to call: that goes to the dialler only (`contact.dial`).
 */

export const CALLBACK_STATES = [
  'waiting',
  'dialing',
  'connected',
  'completed',
  'failed',
  'cancelled',
] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];

/** A callback as the call's view (`GET /v1/telephony/calls/{callId}`) shows it. */
export interface CallbackView {
  id: string;
  /**
   * `waiting` (in the queue, or until its window or retry delay), `dialing` (an agent accepted it, the platform was
   * asked to dial), `connected` (the customer answered, or was still on the line), `completed`, `failed` (no attempt
   * reached them), `cancelled`
   */
  state: CallbackState;
  /** `caller` (confirmed in the IVR) or `agent` (scheduled by an agent) */
  requestedBy: 'caller' | 'agent';
  /**
   * not routed before this (a preferred window's start)
   * @format date-time
   */
  windowStart: string | null;
  /**
   * made by then, else it is missed and escalated
   * @format date-time
   */
  dueAt: string;
  /**
   * when the caller hung up after confirming it (from then on it waits as a callback)
   * @format date-time
   */
  callerLeftAt: string | null;
  /** dial attempts made */
  attempts: number;
  maxAttempts: number;
  /** the last failed attempt's result: `no_answer`, `busy`, `failed` */
  lastResult: string | null;
  /**
   * when it passed its due time unmade
   * @format date-time
   */
  missedAt: string | null;
  /** whom it is aimed at: the case owner, else the customer's last agent, else the agent who scheduled it */
  ownerAgentId: string | null;
}

/** A callback as agents (`callbacks:list`) and supervisors (`GET /v1/callbacks`) list it. */
export interface CallbackListing extends CallbackView {
  contactId: string;
  /** the call id the platform reports the dial's events on */
  callId: string;
  line: Line;
  customerId: string;
  caseId: string | null;
  requestedByAgentId: string | null;
  note: string | null;
  /** @format date-time */
  createdAt: string;
}

export interface CallbackReminderPayload {
  callbackId: string;
  contactId: string;
  /** @format date-time */
  dueAt: string;
}

export interface CallbackMissedPayload {
  callbackId: string;
  contactId: string;
  line: Line;
  /** its owner, or null */
  ownerId: string | null;
}
