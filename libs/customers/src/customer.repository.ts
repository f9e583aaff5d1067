import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConflictError, NotFoundError, ValidationFailed } from '@tether/errors';
import { one, rows, Sql } from '@tether/persistence';
import { Customer, ContactHistoryEntry, NewCustomer, NoticeChannel } from './customer.types';
import { normalizeEmail, normalizePhone } from './phone-number';

const HISTORY_LIMIT = 20;

/** Customers and the identities (phone, e-mail, messenger handle) that find them. */
@Injectable()
export class CustomerRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Creates a known customer. A phone that already belongs to a provisional customer (an unknown caller we met
   * before) is adopted: that customer becomes this one, so their earlier contacts stay in the history.
   */
  async create(input: NewCustomer): Promise<{ id: string }> {
    const phones = input.phones.map((raw, i) => {
      const phone = normalizePhone(raw);
      if (!phone)
        throw new ValidationFailed(`phones.${i} is not a valid phone number in international format`);
      return phone;
    });
    const emails = (input.emails ?? []).map(normalizeEmail);
    return this.dataSource.transaction(async (tx) => {
      const owners = await rows<{ customer_id: string; known: boolean; kind: string; value: string }>(
        tx,
        `SELECT i.customer_id, c.known, i.kind, i.value FROM customer_identities i JOIN customers c ON c.id = i.customer_id
         WHERE (i.kind = 'phone' AND i.value = ANY($1)) OR (i.kind = 'email' AND i.value = ANY($2))
         FOR UPDATE OF i`,
        [phones, emails],
      );
      const taken = owners.find((o) => o.known);
      if (taken)
        throw new ConflictError(
          'identity_taken',
          `${taken.kind} is already registered to customer ${taken.customer_id}`,
        );
      if (input.externalRef) {
        const ref = await one(tx, `SELECT 1 FROM customers WHERE external_ref = $1`, [input.externalRef]);
        if (ref)
          throw new ConflictError(
            'external_ref_taken',
            `externalRef is already registered to another customer`,
          );
      }
      const provisional = [...new Set(owners.map((o) => o.customer_id))];
      let id: string;
      if (provisional.length > 0) {
        id = provisional[0];
        await tx.query(
          `UPDATE customers SET name = $2, known = true, external_ref = $3, attributes = $4, notice_channel = $5,
                  updated_at = now()
           WHERE id = $1`,
          [
            id,
            input.name,
            input.externalRef ?? null,
            JSON.stringify(input.attributes ?? {}),
            input.noticeChannel ?? null,
          ],
        );
        for (const other of provisional.slice(1)) await this.mergeInto(tx, other, id);
      } else {
        const created = await one<{ id: string }>(
          tx,
          `INSERT INTO customers (name, known, external_ref, attributes, notice_channel)
           VALUES ($1, true, $2, $3, $4) RETURNING id`,
          [
            input.name,
            input.externalRef ?? null,
            JSON.stringify(input.attributes ?? {}),
            input.noticeChannel ?? null,
          ],
        );
        id = created!.id;
      }
      for (const phone of phones) await this.addIdentity(tx, id, 'phone', phone);
      for (const email of emails) await this.addIdentity(tx, id, 'email', email);
      return { id };
    });
  }

  async get(id: string, historyLimit = HISTORY_LIMIT): Promise<Customer> {
    const customer = await this.find(this.dataSource.manager, id, historyLimit);
    if (!customer) throw new NotFoundError('Customer', id);
    return customer;
  }

  async find(sql: Sql, id: string, historyLimit = HISTORY_LIMIT): Promise<Customer | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await one<{
      id: string;
      name: string | null;
      known: boolean;
      external_ref: string | null;
      attributes: Record<string, string>;
      notice_channel: NoticeChannel | null;
      created_at: Date;
    }>(
      sql,
      // an erased customer's tombstone is not a customer: its id is never shown as one
      `SELECT id, name, known, external_ref, attributes, notice_channel, created_at FROM customers
        WHERE id = $1 AND erased_at IS NULL`,
      [id],
    );
    if (!row) return undefined;
    const identities = await rows<{ kind: string; value: string }>(
      sql,
      `SELECT kind, value FROM customer_identities WHERE customer_id = $1 ORDER BY created_at, value`,
      [id],
    );
    return {
      id: row.id,
      name: row.name,
      known: row.known,
      externalRef: row.external_ref,
      attributes: row.attributes,
      noticeChannel: row.notice_channel,
      phones: identities.filter((i) => i.kind === 'phone').map((i) => i.value),
      emails: identities.filter((i) => i.kind === 'email').map((i) => i.value),
      createdAt: row.created_at.toISOString(),
      contacts: await this.history(sql, id, historyLimit),
    };
  }

  /** The customer's recent contacts, newest first: what the agent reads instead of asking the caller again. */
  async history(
    sql: Sql,
    customerId: string,
    limit: number,
    excludeContactId?: string,
  ): Promise<ContactHistoryEntry[]> {
    const list = await rows<{
      id: string;
      line: ContactHistoryEntry['line'];
      channel: ContactHistoryEntry['channel'];
      agent_id: string | null;
      resolution: string | null;
      notes: string | null;
      status: string;
      created_at: Date;
    }>(
      sql,
      `SELECT id, line, channel, agent_id, resolution, notes, status, created_at FROM contacts
       WHERE customer_id = $1 AND ($3::uuid IS NULL OR id <> $3) ORDER BY created_at DESC, id DESC LIMIT $2`,
      [customerId, limit, excludeContactId ?? null],
    );
    return list.map((c) => ({
      id: c.id,
      line: c.line,
      channel: c.channel,
      agentId: c.agent_id,
      resolution: c.resolution,
      notes: c.notes,
      status: c.status,
      startedAt: c.created_at.toISOString(),
    }));
  }

  private async addIdentity(sql: Sql, customerId: string, kind: string, value: string): Promise<void> {
    await sql.query(
      `INSERT INTO customer_identities (kind, value, customer_id) VALUES ($1, $2, $3)
       ON CONFLICT (kind, value) DO UPDATE SET customer_id = EXCLUDED.customer_id`,
      [kind, value, customerId],
    );
  }

  private async mergeInto(sql: Sql, fromId: string, intoId: string): Promise<void> {
    await sql.query(`UPDATE contacts SET customer_id = $2 WHERE customer_id = $1`, [fromId, intoId]);
    await sql.query(`UPDATE customer_identities SET customer_id = $2 WHERE customer_id = $1`, [
      fromId,
      intoId,
    ]);
    await sql.query(`DELETE FROM customers WHERE id = $1`, [fromId]);
  }
}
