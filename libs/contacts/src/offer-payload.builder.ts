import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { maskPhone } from '@tether/observability';
import { rows, Sql } from '@tether/persistence';
import type { OfferPayload } from '@tether/realtime';
import type { Channel, Line, OfferReason } from '@tether/routing';

/** How many of the customer's earlier contacts travel with an offer. */
export const RECENT_CONTACTS_ON_OFFER = 5;

/** The columns an offer's payload is built from (`tether_commit_offers` returns them for every offer it makes). */
export interface OfferPayloadRow {
  offer_id: string;
  contact_id: string;
  expires_at: Date;
  reason: OfferReason;
  trace: string;
  line: Line;
  channel: Channel;
  external_id: string;
  ivr: Record<string, unknown> | null;
  enqueued_at: Date;
  announcement: string | null;
  customer_id: string;
  from_address: string;
  customer_name: string | null;
  customer_known: boolean;
  customer_ref: string | null;
  /** newest first, without the offered contact itself */
  history: {
    id: string;
    line: Line;
    channel: Channel;
    agentId: string | null;
    resolution: string | null;
    notes: string | null;
    startedAt: string;
  }[];
}

/** What the agent sees with an offer: the contact, and the customer's card and story, so nobody asks twice. */
export function offerPayloadFrom(row: OfferPayloadRow): OfferPayload {
  return {
    offerId: row.offer_id,
    expiresAt: row.expires_at.toISOString(),
    reason: row.reason,
    trace: row.trace,
    contact: {
      id: row.contact_id,
      line: row.line,
      channel: row.channel,
      callId: row.external_id,
      ...(row.ivr ? { ivr: row.ivr } : {}),
      enqueuedAt: row.enqueued_at.toISOString(),
      announcement: row.announcement,
    },
    customer: {
      id: row.customer_id,
      known: row.customer_known,
      name: row.customer_name,
      externalRef: row.customer_ref,
      phone: maskPhone(row.from_address) ?? null,
      recentContacts: row.history,
    },
  };
}

/** Builds the payloads of existing offers (re-sent on reconnect), in one query however many. */
@Injectable()
export class OfferPayloadBuilder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async build(offerId: string, sql: Sql = this.dataSource.manager): Promise<OfferPayload | undefined> {
    return (await this.buildMany([offerId], sql))[0];
  }

  /** In the order of `offerIds`; unknown ids are left out. */
  async buildMany(offerIds: readonly string[], sql: Sql = this.dataSource.manager): Promise<OfferPayload[]> {
    const ids = offerIds.filter((id) =>
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id),
    );
    if (ids.length === 0) return [];
    const list = await rows<OfferPayloadRow>(
      sql,
      `SELECT o.id AS offer_id, o.expires_at, o.reason, o.trace, c.id AS contact_id, c.line, c.channel, c.external_id,
              c.ivr, c.enqueued_at, c.announcement, c.customer_id, c.from_address,
              cu.name AS customer_name, cu.known AS customer_known, cu.external_ref AS customer_ref,
              (SELECT coalesce(json_agg(json_build_object('id', h.id, 'line', h.line, 'channel', h.channel,
                        'agentId', h.agent_id, 'resolution', h.resolution, 'notes', h.notes,
                        'startedAt', to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                        ORDER BY h.created_at DESC, h.id DESC), '[]'::json)
                 FROM (SELECT * FROM contacts x WHERE x.customer_id = c.customer_id AND x.id <> c.id
                        ORDER BY x.created_at DESC, x.id DESC LIMIT $2) h) AS history
       FROM offers o JOIN contacts c ON c.id = o.contact_id JOIN customers cu ON cu.id = c.customer_id
       WHERE o.id = ANY($1::uuid[])`,
      [ids, RECENT_CONTACTS_ON_OFFER],
    );
    const byId = new Map(list.map((row) => [row.offer_id, offerPayloadFrom(row)]));
    return ids.map((id) => byId.get(id)).filter((p): p is OfferPayload => p !== undefined);
  }
}
