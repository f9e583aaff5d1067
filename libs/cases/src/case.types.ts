import type { Line } from '@tether/routing';
import type { CaseStatus } from '@tether/realtime';

export {
  CASE_NOTICE_KINDS,
  CASE_STATUSES,
  type CaseContact,
  type CaseNotice,
  type CaseNoticeKind,
  type CaseStatus,
  type CaseStory,
  type CaseSummary,
  type CaseUpdateReason,
} from '@tether/realtime';

/** Statuses in which a case is still somebody's problem: routed to its owner, listed as theirs. */
export const OPEN_CASE_STATUSES: readonly CaseStatus[] = ['open', 'waiting_on_customer'];

/** How many of a case's contacts its story lists. */
export const CASE_STORY_CONTACTS = 5;

/** What `PATCH /v1/cases/{id}` (and the owner's `case:handover`) may change. */
export interface CaseChanges {
  subject?: string;
  status?: CaseStatus;
  /** a handover: the new owner (a live agent), or null to leave the case to its team */
  ownerId?: string | null;
  team?: string | null;
  /** @format date-time; null clears it */
  dueAt?: string | null;
}

export interface CaseFilter {
  ownerId?: string;
  status?: CaseStatus;
  line?: Line;
  customerId?: string;
  team?: string;
  /** only cases past their due time and still open */
  overdue?: boolean;
}
