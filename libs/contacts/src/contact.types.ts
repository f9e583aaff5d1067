import type { CallbackView } from '@tether/realtime';
import type { Channel, Line, RoutingPlan } from '@tether/routing';

export const CONTACT_STATUSES = ['queued', 'offered', 'connected', 'ended'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

export const RESOLUTIONS = ['resolved', 'unresolved', 'follow_up'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export interface IvrInfo {
  intent?: string;
  digits?: string;
  language?: string;
}

export interface IncomingCall {
  callId: string;
  from: string;
  to: string;
  ivr?: IvrInfo;
}

/** The contract's answer to POST/GET /v1/telephony/calls. */
export interface CallView {
  contactId: string;
  callId: string;
  line: Line;
  channel: Channel;
  status: ContactStatus;
  customer: { id: string; known: boolean };
  announcement: string | null;
  queuePosition: number | null;
  estimatedWaitSeconds: number | null;
  agent?: { id: string };
  endReason?: string | null;
  routingTrace?: { at: string; text: string }[];
  /** inbound (the customer called) or outbound (a callback an agent scheduled, an agent's dial) */
  direction: ContactDirection;
  /** the estimated wait is longer than the line's `callback.offerAfterWaitSeconds`: the IVR may offer a callback */
  callbackOffered: boolean;
  /** the callback this contact waits as or was made for, if any */
  callback: CallbackView | null;
  /**
   * present when a line rule or the line's queue limit sent the contact to another line's queue at arrival: that
   * line and the reason, for the IVR to tell the caller (`queuePosition` and the wait are that line's)
   */
  redirect?: { line: Line; reason: string | null };
}

export type ContactDirection = 'inbound' | 'outbound';

export { CALLBACK_STATES } from '@tether/realtime';
export type { CallbackListing, CallbackState, CallbackView } from '@tether/realtime';

/**
 * The answer to a hang-up for a call id this line has not seen yet (202): remembered until `rememberedUntil`; when
 * the call's webhook arrives before then it is recorded as ended and nothing is queued or offered.
 */
export interface HangupRemembered {
  callId: string;
  line: Line;
  status: 'ended';
  contactId: null;
  rememberedUntil: string;
}

/** What a hang-up did: ended (or found ended) this line's contact, or remembered a call not seen yet. */
export type HangupOutcome =
  { remembered: false; view: CallView } | { remembered: true; answer: HangupRemembered };

export interface ContactRow {
  id: string;
  external_id: string;
  channel: Channel;
  line: Line;
  customer_id: string;
  from_address: string;
  ivr: IvrInfo | null;
  priority: number;
  status: ContactStatus;
  end_reason: string | null;
  sticky_agent_id: string | null;
  offered_agent_id: string | null;
  agent_id: string | null;
  work_open: boolean;
  announcement: string | null;
  enqueued_at: Date;
  known: boolean;
  routing_trace: { at: string; text: string }[];
  /** queued contacts ahead of this one (tether_call_row), when queued */
  ahead?: number | null;
  direction?: ContactDirection;
  /** tether_call_row's callback summary (timestamps as PostgreSQL writes them in JSON) */
  callback?: Record<string, unknown> | null;
  /** the line a redirect or overflow at arrival sent it to (its queue), and why; null for most */
  routed_line?: Line | null;
  redirect_reason?: string | null;
  /** a rule or an overflow offered a callback at arrival */
  offer_callback?: boolean;
}

/** GET /v1/contacts/{id}/trace: how a contact was routed, step by step. */
export interface ContactTraceView {
  contactId: string;
  line: string;
  status: string;
  agentId: string | null;
  priority: number;
  requiredSkills: Record<string, number>;
  /** the stages a line rule gave it at arrival (null: none) */
  plan: RoutingPlan | null;
  /** each step, oldest first: arrival (and the rule that matched), offers with the engine's why, the end */
  trace: { at: string; text: string }[];
}
