import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CustomerRepository } from '@tether/customers';
import { maskPhone } from '@tether/observability';
import { one, rows, Sql } from '@tether/persistence';
import type { CustomerCard, OfferPayload } from '@tether/realtime';
import type { Channel, Line, OfferReason } from '@tether/routing';
import type { IvrInfo } from './contact.types';

const RECENT_CONTACTS_ON_OFFER = 5;

/** The columns of a contact and its customer that make the card an agent sees (`c` contacts, `cu` customers). */
export const CONTACT_CARD_COLUMNS = `c.id AS contact_id, c.line, c.channel, c.external_id, c.ivr, c.enqueued_at,
  c.announcement, c.customer_id, c.from_address, cu.name AS customer_name, cu.known AS customer_known,
  cu.external_ref AS customer_ref`;

export interface ContactCardRow {
  contact_id: string;
  line: Line;
  channel: Channel;
  external_id: string;
  ivr: IvrInfo | null;
  enqueued_at: Date;
  announcement: string | null;
  customer_id: string;
  from_address: string;
  customer_name: string | null;
  customer_known: boolean;
  customer_ref: string | null;
}

interface OfferRow extends ContactCardRow {
  offer_id: string;
  expires_at: Date;
  reason: OfferReason;
  trace: string;
}

const SELECT_OFFER = `SELECT o.id AS offer_id, o.expires_at, o.reason, o.trace, ${CONTACT_CARD_COLUMNS}
  FROM offers o JOIN contacts c ON c.id = o.contact_id JOIN customers cu ON cu.id = c.customer_id`;

/** Builds what the agent sees with an offer: the contact, and the customer's card and story, so nobody asks twice. */
@Injectable()
export class OfferPayloadBuilder {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly customers: CustomerRepository,
  ) {}

  async build(offerId: string, sql: Sql = this.dataSource.manager): Promise<OfferPayload | undefined> {
    const row = await one<OfferRow>(sql, `${SELECT_OFFER} WHERE o.id = $1`, [offerId]);
    return row && this.toPayload(row, sql);
  }

  /** The same payloads as `build`, for many offers (re-sends): one query for the offers, oldest first. */
  async buildMany(offerIds: readonly string[], sql: Sql = this.dataSource.manager): Promise<OfferPayload[]> {
    if (offerIds.length === 0) return [];
    const found = await rows<OfferRow>(
      sql,
      `${SELECT_OFFER} WHERE o.id = ANY($1::uuid[]) ORDER BY o.created_at, o.id`,
      [offerIds],
    );
    return Promise.all(found.map((row) => this.toPayload(row, sql)));
  }

  /** The contact and the customer's card with their recent contacts (the contact itself left out). */
  async card(
    row: ContactCardRow,
    sql: Sql = this.dataSource.manager,
  ): Promise<{ contact: OfferPayload['contact']; customer: CustomerCard }> {
    const history = await this.customers.history(
      sql,
      row.customer_id,
      RECENT_CONTACTS_ON_OFFER,
      row.contact_id,
    );
    return {
      contact: {
        id: row.contact_id,
        line: row.line,
        channel: row.channel,
        callId: row.external_id,
        ...(row.ivr ? { ivr: row.ivr as Record<string, unknown> } : {}),
        enqueuedAt: row.enqueued_at.toISOString(),
        announcement: row.announcement,
      },
      customer: {
        id: row.customer_id,
        known: row.customer_known,
        name: row.customer_name,
        externalRef: row.customer_ref,
        phone: maskPhone(row.from_address) ?? null,
        recentContacts: history.map(({ status: _status, ...entry }) => entry),
      },
    };
  }

  private async toPayload(row: OfferRow, sql: Sql): Promise<OfferPayload> {
    const { contact, customer } = await this.card(row, sql);
    return {
      offerId: row.offer_id,
      expiresAt: row.expires_at.toISOString(),
      reason: row.reason,
      trace: row.trace,
      contact,
      customer,
    };
  }
}
