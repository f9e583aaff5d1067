import type { Channel, Line } from '@tether/routing';

export interface ContactHistoryEntry {
  id: string;
  line: Line;
  channel: Channel;
  agentId: string | null;
  resolution: string | null;
  notes: string | null;
  status: string;
  startedAt: string;
}

export interface Customer {
  id: string;
  name: string | null;
  known: boolean;
  externalRef: string | null;
  /** what incidents can be scoped by, e.g. {"area": "north", "node": "N7"} */
  attributes: Record<string, string>;
  /** how they prefer incident notices: `sms` or `email`; null: text when they have a phone number, else e-mail */
  noticeChannel: NoticeChannel | null;
  phones: string[];
  emails: string[];
  /** messenger and social handles, `<network>:<name>` */
  handles: string[];
  createdAt: string;
  contacts: ContactHistoryEntry[];
}

export interface NewCustomer {
  name: string;
  phones?: string[];
  emails?: string[];
  /** messenger and social handles, `<network>:<name>` */
  handles?: string[];
  externalRef?: string;
  attributes?: Record<string, string>;
  noticeChannel?: NoticeChannel | null;
}

export const NOTICE_CHANNELS = ['sms', 'email'] as const;
export type NoticeChannel = (typeof NOTICE_CHANNELS)[number];
