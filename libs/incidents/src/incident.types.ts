import type { Line } from '@tether/routing';

export const INCIDENT_STATUSES = ['open', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Who an incident affects: any of these (an empty scope affects nobody). */
export interface IncidentScope {
  customerIds: string[];
  /** E.164 prefixes, e.g. "+1555" */
  phonePrefixes: string[];
  /** attribute -> values: a customer holding any listed value of a listed attribute is affected */
  attributes: Record<string, string[]>;
  /** every caller of these lines (announced; a line has no customer list to notify) */
  lines: Line[];
}

export interface IncidentUpdate {
  id: string;
  kind: 'opened' | 'update' | 'resolved';
  text: string | null;
  status: IncidentStatus;
  /** @format date-time */
  eta: string | null;
  /** whether affected customers were sent a notice of it */
  notified: boolean;
  /** @format date-time */
  at: string;
}

export interface Incident {
  id: string;
  title: string;
  /** what an affected caller hears before queueing (the ETA is added) */
  announcement: string;
  status: IncidentStatus;
  /** @format date-time */
  eta: string | null;
  affected: IncidentScope;
  /** @format date-time */
  createdAt: string;
  /** @format date-time */
  updatedAt: string;
  /** @format date-time */
  resolvedAt: string | null;
  /** how many contacts were linked to it (callers it affected) */
  contactCount: number;
  /** how many customer notices were sent */
  noticeCount: number;
  updates: IncidentUpdate[];
}

export interface NewIncident {
  title: string;
  announcement: string;
  status?: IncidentStatus;
  eta?: string | null;
  affected: Partial<IncidentScope>;
}

export interface IncidentChanges {
  title?: string;
  announcement?: string;
  status?: IncidentStatus;
  eta?: string | null;
  affected?: Partial<IncidentScope>;
  /** a text for the update that goes to the affected customers (with the new status/ETA) */
  update?: string;
}
