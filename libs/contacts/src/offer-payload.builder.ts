import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CASE_STORY_CONTACTS } from '@tether/cases';
import { maskPhone } from '@tether/observability';
import { prepared, rows, Sql } from '@tether/persistence';
import type {
  CaseStory,
  ConversationMessageCard,
  CustomerCard,
  IncidentCard,
  OfferCallbackCard,
  OfferPayload,
  TransferCard,
} from '@tether/realtime';
import type { Channel, Line, OfferReason } from '@tether/routing';

/** How many of the customer's earlier contacts travel with an offer. */
export const RECENT_CONTACTS_ON_OFFER = 5;

/** The columns of a contact and its customer that make the card an agent sees (`c` contacts, `cu` customers). */
export const CONTACT_CARD_COLUMNS = `c.id AS contact_id, c.line, c.channel, c.external_id, c.ivr, c.enqueued_at,
  c.announcement, c.customer_id, coalesce(c.from_address, c.to_address) AS from_address, cu.name AS customer_name, cu.known AS customer_known,
  cu.external_ref AS customer_ref,
  tether_recent_contacts(c.customer_id, c.id, ${RECENT_CONTACTS_ON_OFFER}) AS history,
  tether_case_story(c.case_id, ${CASE_STORY_CONTACTS}) AS case_story,
  (SELECT json_build_object('id', t.id, 'kind', t.target_kind, 'mode', t.mode,
            'from', json_build_object('id', a.id, 'name', a.name), 'fromLine', t.from_line, 'toLine', t.target_line, 'note', t.note,
            'createdAt', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
     FROM transfers t JOIN agents a ON a.id = t.from_agent_id WHERE t.id = c.transfer_id) AS transfer_card,
  (SELECT json_build_object('id', i.id, 'title', i.title, 'status', i.status,
            'eta', to_char(i.eta AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'announcement', c.announcement,
            'notifiedAt', (SELECT to_char(max(w.delivered_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                             FROM incident_notices n JOIN outbound_webhooks w ON w.id = n.outbound_id
                            WHERE n.incident_id = i.id AND n.customer_id = c.customer_id))
     FROM incidents i WHERE i.id = c.incident_id) AS incident_card,
  c.direction, c.routed_line, c.redirect_reason,
  (SELECT json_build_object('id', b.id, 'requestedBy', b.requested_by,
            'dueAt', to_char(b.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'attempts', b.attempts,
            'callerLeft', b.caller_left_at IS NOT NULL, 'note', b.note,
            'missedAt', to_char(b.missed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
     FROM callbacks b WHERE b.id = c.callback_id) AS callback_card,
  CASE WHEN c.channel = 'voice' THEN '[]'::json ELSE coalesce((
    SELECT json_agg(json_build_object('id', m.id, 'seq', m.seq, 'direction', m.direction, 'agentId', m.agent_id,
             'text', m.text, 'attachments', m.attachments,
             'at', to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY m.seq)
      FROM (SELECT * FROM messages WHERE contact_id = c.id ORDER BY seq DESC LIMIT 20) m), '[]'::json) END AS messages`;

export interface ContactCardRow {
  contact_id: string;
  line: Line;
  channel: Channel;
  external_id: string;
  ivr: Record<string, unknown> | null;
  enqueued_at: Date;
  announcement: string | null;
  customer_id: string;
  /** null once erased (retention or an erase request: only for contacts that have ended) */
  from_address: string | null;
  customer_name: string | null;
  customer_known: boolean;
  customer_ref: string | null;
  /** newest first, without the contact itself */
  history: CustomerCard['recentContacts'];
  /** the contact's case (tether_case_story), if it has one */
  case_story: CaseStory | null;
  /** the contact's pending transfer, if any */
  transfer_card: TransferCard | null;
  /** the incident the contact is linked to, if any */
  incident_card: IncidentCard | null;
  direction: 'inbound' | 'outbound';
  /** the line a redirect or overflow at arrival sent it to, and why (contacts.routed_line, redirect_reason) */
  routed_line: Line | null;
  redirect_reason: string | null;
  /** the callback the contact waits as, if any */
  callback_card: OfferCallbackCard | null;
  messages: ConversationMessageCard[];
}

/** The columns an offer's payload is built from. */
export interface OfferPayloadRow extends ContactCardRow {
  offer_id: string;
  expires_at: Date;
  reason: OfferReason;
  trace: string;
}

const SELECT_OFFER = `SELECT o.id AS offer_id, o.expires_at, o.reason, o.trace, ${CONTACT_CARD_COLUMNS}
  FROM offers o JOIN contacts c ON c.id = o.contact_id JOIN customers cu ON cu.id = c.customer_id`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The contact and the customer's card with their recent contacts, so nobody asks twice. */
export function contactCardFrom(row: ContactCardRow): {
  contact: OfferPayload['contact'];
  customer: CustomerCard;
  case: CaseStory | null;
} {
  return {
    contact: {
      id: row.contact_id,
      line: row.line,
      channel: row.channel,
      callId: row.external_id,
      ...(row.ivr ? { ivr: row.ivr } : {}),
      enqueuedAt: row.enqueued_at.toISOString(),
      announcement: row.announcement,
      direction: row.direction,
      callback: row.callback_card,
      messages: row.messages,
      ...(row.routed_line
        ? { redirect: { fromLine: row.line, toLine: row.routed_line, reason: row.redirect_reason } }
        : {}),
    },
    customer: {
      id: row.customer_id,
      known: row.customer_known,
      name: row.customer_name,
      externalRef: row.customer_ref,
      phone: maskPhone(row.from_address) ?? null,
      incident: row.incident_card,
      recentContacts: row.history,
    },
    case: row.case_story,
  };
}

/** What the agent sees with an offer. */
export function offerPayloadFrom(row: OfferPayloadRow): OfferPayload {
  return {
    offerId: row.offer_id,
    expiresAt: row.expires_at.toISOString(),
    reason: row.reason,
    trace: row.trace,
    ...contactCardFrom(row),
    transfer: row.transfer_card,
  };
}

/** Builds the payloads of existing offers (re-sent on reconnect and resynchronisation), in one query however many. */
@Injectable()
export class OfferPayloadBuilder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async build(offerId: string, sql: Sql = this.dataSource.manager): Promise<OfferPayload | undefined> {
    return (await this.buildMany([offerId], sql))[0];
  }

  /** The same payloads as `build`, for many offers: one query, oldest offer first; unknown ids are left out. */
  async buildMany(offerIds: readonly string[], sql: Sql = this.dataSource.manager): Promise<OfferPayload[]> {
    const ids = offerIds.filter((id) => UUID.test(id));
    if (ids.length === 0) return [];
    const found = await rows<OfferPayloadRow>(
      sql,
      `${SELECT_OFFER} WHERE o.id = ANY($1::uuid[]) ORDER BY o.created_at, o.id`,
      [ids],
    );
    return found.map(offerPayloadFrom);
  }

  /**
   * The payloads of the offers among these that are still pending and unexpired, in one query, oldest first: what a
   * gateway sends for a batch of `offer.created` events (the events carry ids only). An offer that ended before it
   * was read is left out: its agent never needs to see it.
   */
  async buildPending(
    offerIds: readonly string[],
    sql: Sql = this.dataSource.manager,
  ): Promise<OfferPayload[]> {
    const ids = offerIds.filter((id) => UUID.test(id));
    if (ids.length === 0) return [];
    const found = await rows<OfferPayloadRow>(
      sql,
      prepared(`${SELECT_OFFER} WHERE o.id = ANY($1::uuid[]) AND o.state = 'pending' AND o.expires_at > now()
       ORDER BY o.created_at, o.id`),
      [ids],
    );
    return found.map(offerPayloadFrom);
  }

  /** The card of a row selected with CONTACT_CARD_COLUMNS. */
  card(row: ContactCardRow): {
    contact: OfferPayload['contact'];
    customer: CustomerCard;
    case: CaseStory | null;
  } {
    return contactCardFrom(row);
  }
}
