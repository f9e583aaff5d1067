/** How a report's rows are cut in time: 15 minutes, a UTC day, an ISO week (Monday 00:00 UTC). */
export const REPORT_BUCKETS = ['15m', 'day', 'week'] as const;
export type ReportBucket = (typeof REPORT_BUCKETS)[number];

/** The longest range one report covers: a quarter. */
export const MAX_REPORT_RANGE_DAYS = 93;
/** "The same customer contacts again within N days": N when the request does not say. */
export const DEFAULT_REPEAT_DAYS = 7;
/** The service-level target (answered within this many seconds) of a line whose rules set none. */
export const DEFAULT_SERVICE_LEVEL_SECONDS = 20;
export const MAX_REPORT_PAGE_SIZE = 1000;

export interface ReportQuery {
  from: Date;
  to: Date;
  bucket: ReportBucket;
  line?: string;
  channel?: string;
  agentId?: string;
  incidentId?: string;
  /** the repeat-contact window, days */
  repeatDays?: number;
  /** overrides every line's service-level target, seconds */
  serviceLevelSeconds?: number;
  /** 1-based */
  page?: number;
  pageSize?: number;
}

/** The outcome figures of a set of contacts (those that arrived in a bucket, on a line, for an agent, ...). */
export interface ContactFigures {
  /** contacts that arrived */
  offered: number;
  answered: number;
  /** hung up before anyone answered: in the queue or while an offer was pending */
  abandoned: number;
  abandonedDuringOffer: number;
  avgTimeToAbandonSeconds: number | null;
  /** the target this row's service level is measured against, seconds */
  serviceLevelTargetSeconds: number;
  answeredWithinTarget: number;
  /** % of the answered and abandoned contacts answered within the target */
  serviceLevel: number | null;
  /** average speed of answer: arrival to the first answer, seconds */
  asaSeconds: number | null;
  /** average handle time: answer to completion (talk plus after-call work), seconds */
  ahtSeconds: number | null;
  /** the longest anyone waited (to an answer or an abandon), seconds */
  longestWaitSeconds: number | null;
  transfers: number;
  transfersPerContact: number | null;
  /** answered by the agent the customer last dealt with (offer reason `sticky`) */
  stickyHits: number;
  /** % of answered */
  stickyHitRate: number | null;
  stickyAsaSeconds: number | null;
  /** answered by the owner of the customer's open case (offer reason `case_owner`) */
  caseOwnerHits: number;
  caseOwnerHitRate: number | null;
  caseOwnerAsaSeconds: number | null;
  /** contacts that count toward repeats: not linked to an incident, not a scheduled callback */
  repeatEligible: number;
  /** of those, the customer contacted again (any line, any channel) within the repeat window */
  repeats: number;
  /** % */
  repeatContactRate: number | null;
  /** % of the eligible answered contacts with no repeat within the window */
  firstContactResolution: number | null;
  csatResponses: number;
  /** the average score as % of its scale's top */
  csatScore: number | null;
}

export interface LineReportRow extends ContactFigures {
  /** @format date-time */
  bucket: string;
  line: string;
  channel: string;
}

export interface AgentReportRow extends ContactFigures {
  /** @format date-time */
  bucket: string;
  agentId: string;
  /** offers made to the agent */
  offers: number;
  rejected: number;
  expired: number;
  /** contacts the agent transferred on */
  transfersOut: number;
  /**
   * time handling contacts (of the `line` asked for, else of any line) in the bucket: from each answer to the
   * completion (talk and after-call work, as AHT) or a transfer on; overlapping contacts count once, seconds
   */
  handlingSeconds: number;
  /** time signed in and available (agent presence) or busy handling a contact of any line, seconds */
  staffedSeconds: number;
  /** handlingSeconds as % of staffedSeconds; null with no staffed time */
  occupancy: number | null;
}

export interface IncidentReportRow extends ContactFigures {
  /** @format date-time */
  bucket: string;
  incidentId: string;
  /** notices sent to affected customers */
  notices: number;
}

export interface ReportPage<Row> {
  /** @format date-time */
  from: string;
  /** @format date-time */
  to: string;
  bucket: ReportBucket;
  repeatDays: number;
  page: number;
  pageSize: number;
  /** the next page's number, null on the last */
  nextPage: number | null;
  rows: Row[];
}
