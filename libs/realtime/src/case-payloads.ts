import type { Channel, Line } from '@tether/routing';

/*
 * The case payloads agents' clients and admins see (socket.io events, REST): declared here, beside the other event
 * payloads, so the event maps and the docs generator read them; @tether/cases re-exports them.
 */

export const CASE_STATUSES = ['open', 'waiting_on_customer', 'resolved', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_NOTICE_KINDS = ['customer_called', 'case_handed_over', 'case_overdue'] as const;
export type CaseNoticeKind = (typeof CASE_NOTICE_KINDS)[number];

/** Why a case event was sent to its owner. */
export type CaseUpdateReason = 'opened' | 'linked' | 'handed_over' | 'handed_away' | 'changed' | 'overdue';

/** One of a case's contacts, as its story lists them. */
export interface CaseContact {
  id: string;
  line: Line;
  channel: Channel;
  agentId: string | null;
  resolution: string | null;
  notes: string | null;
  /** @format date-time */
  startedAt: string;
}

/**
 * A case as a list shows it: who owns it, how it stands, whether it is overdue. `GET /v1/cases` and the agents'
 * `cases:list`.
 */
export interface CaseSummary {
  id: string;
  customerId: string;
  line: Line;
  subject: string;
  status: CaseStatus;
  owner: { id: string; name: string } | null;
  team: string | null;
  /** @format date-time */
  dueAt: string | null;
  /** past its due time and still open */
  overdue: boolean;
  /** @format date-time */
  openedAt: string;
  /** @format date-time */
  updatedAt: string;
  /** @format date-time */
  resolvedAt: string | null;
  ageSeconds: number;
  contactCount: number;
}

/**
 * The story so far: the summary plus the latest contacts (line, channel, agent, resolution, notes) and the promises
 * made (callbacks; empty until they are recorded against cases). What an offer, a case view and a transfer carry.
 */
export interface CaseStory extends CaseSummary {
  /** newest first, at most `CASE_STORY_CONTACTS` */
  contacts: CaseContact[];
  promises: unknown[];
}

/** A notice to a case owner, delivered at once when they are signed in, else when they next connect. */
export interface CaseNotice {
  noticeId: string;
  kind: CaseNoticeKind;
  caseId: string;
  subject: string;
  contactId: string | null;
  /** who took the customer (customer_called) or handed the case over (case_handed_over), if anyone */
  by: { id: string; name: string } | null;
  /** e.g. "your customer called about billing; Bob took it" */
  text: string;
  /** @format date-time */
  createdAt: string;
}
