import type { Channel, Line } from '@tether/routing';

/** What `GET /v1/customers/{id}/export` answers: everything Tether holds about one customer, as it holds it. */
export interface CustomerExport {
  /** @format date-time */
  exportedAt: string;
  customer: {
    id: string;
    name: string | null;
    known: boolean;
    externalRef: string | null;
    /** what incidents are scoped by, e.g. {"area": "north"} */
    attributes: Record<string, string>;
    noticeChannel: string | null;
    /** @format date-time */
    createdAt: string;
    /** @format date-time */
    updatedAt: string;
  };
  /** the phone numbers (E.164), e-mails and handles that identify the customer */
  identities: { kind: string; value: string; createdAt: string }[];
  /** every contact of the customer, oldest first, with the offers made for it */
  contacts: ContactExport[];
  /** the customer's cases, oldest first: subject, status, owner, due time, the contacts linked */
  cases: {
    id: string;
    line: Line;
    subject: string;
    status: string;
    ownerId: string | null;
    team: string | null;
    dueAt: string | null;
    createdAt: string;
    resolvedAt: string | null;
    contactIds: string[];
  }[];
  /** the incident notices sent to the customer: when, by which channel, to which address, saying what */
  notices: {
    incidentId: string;
    channel: string;
    to: string | null;
    text: string | null;
    status: string | null;
    createdAt: string;
    deliveredAt: string | null;
  }[];
}

export interface ContactExport {
  id: string;
  /** the telephony platform's id of the call */
  callId: string;
  line: Line;
  channel: Channel;
  status: string;
  endReason: string | null;
  /** the caller's number as the platform sent it (null once erased) */
  from: string | null;
  /** the number called */
  to: string | null;
  /** what the IVR collected */
  ivr: Record<string, unknown> | null;
  priority: number;
  requiredSkills: Record<string, number>;
  announcement: string | null;
  agentId: string | null;
  resolution: string | null;
  notes: string | null;
  routingTrace: { at: string; text: string }[];
  enqueuedAt: string;
  offeredAt: string | null;
  connectedAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  /** when retention or an erase request removed the contact's personal data */
  erasedAt: string | null;
  offers: {
    id: string;
    agentId: string;
    state: string;
    reason: string;
    trace: string;
    createdAt: string;
    expiresAt: string;
    resolvedAt: string | null;
    endReason: string | null;
  }[];
}
