import type { Channel, Line } from '@tether/routing';

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
}

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
}
