import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConflictError, NotFoundError, ValidationFailed } from '@tether/errors';
import { one, rows, Sql } from '@tether/persistence';
import { Customer, ContactHistoryEntry, NewCustomer, NoticeChannel } from './customer.types';
import { survivorOf } from './merged-customers';
import { normalizeEmail, normalizeHandle, normalizePhone } from './phone-number';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const IDENTITY_KINDS = ['phone', 'email', 'handle'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** An identity as stored: a phone in E.164, an e-mail in lower case, a handle `<network>:<name>`; 400 otherwise. */
export function normalizeIdentity(kind: IdentityKind, raw: string): string {
  const value =
    kind === 'phone'
      ? normalizePhone(raw)
      : kind === 'email'
        ? normalizeEmailStrict(raw)
        : normalizeHandle(raw);
  if (!value)
    throw new ValidationFailed(
      kind === 'phone'
        ? 'value must be a phone number in international format'
        : kind === 'email'
          ? 'value must be an e-mail address'
          : 'value must be a handle <network>:<name>, e.g. telegram:ada_l',
    );
  return value;
}

function normalizeEmailStrict(raw: string): string | null {
  const email = normalizeEmail(raw);
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) && email.length <= 254 ? email : null;
}

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
    if ((input.phones ?? []).length + (input.emails ?? []).length + (input.handles ?? []).length === 0)
      throw new ValidationFailed('phones, emails or handles must name at least one identity of the customer');
    const phones = (input.phones ?? []).map((raw, i) => {
      const phone = normalizePhone(raw);
      if (!phone)
        throw new ValidationFailed(`phones.${i} is not a valid phone number in international format`);
      return phone;
    });
    const emails = (input.emails ?? []).map(normalizeEmail);
    const handles = (input.handles ?? []).map((raw, i) => {
      const handle = normalizeHandle(raw);
      if (!handle) throw new ValidationFailed(`handles.${i} must be <network>:<name>, e.g. telegram:ada_l`);
      return handle;
    });
    return this.dataSource.transaction(async (tx) => {
      const owners = await rows<{ customer_id: string; known: boolean; kind: string; value: string }>(
        tx,
        `SELECT i.customer_id, c.known, i.kind, i.value FROM customer_identities i JOIN customers c ON c.id = i.customer_id
         WHERE (i.kind = 'phone' AND i.value = ANY($1)) OR (i.kind = 'email' AND i.value = ANY($2))
            OR (i.kind = 'handle' AND i.value = ANY($3))
         FOR UPDATE OF i`,
        [phones, emails, handles],
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
        for (const other of provisional.slice(1)) await this.moveInto(tx, other, id);
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
      for (const handle of handles) await this.addIdentity(tx, id, 'handle', handle);
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
    id = (await survivorOf(sql, id)) ?? id;
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
        WHERE id = $1 AND erased_at IS NULL AND merged_into IS NULL`,
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
      handles: identities.filter((i) => i.kind === 'handle').map((i) => i.value),
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

  /**
   * Attaches an identity (a phone number, an e-mail address, a `<network>:<name>` handle) to the customer: their
   * next call or message by it is theirs. 404 for an unknown, erased or merged-away customer (use the survivor);
   * 409 when the identity belongs to another customer (merge the two instead); attaching one they hold is a no-op.
   */
  async attachIdentity(id: string, kind: IdentityKind, raw: string): Promise<Customer> {
    const value = normalizeIdentity(kind, raw);
    await this.dataSource.transaction(async (tx) => {
      await this.lockLive(tx, [id]);
      const owner = await one<{ customer_id: string }>(
        tx,
        `SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2 FOR UPDATE`,
        [kind, value],
      );
      if (owner && owner.customer_id !== id)
        throw new ConflictError(
          'identity_taken',
          `this ${kind} belongs to customer ${owner.customer_id}: merge the two customers instead`,
        );
      if (!owner) await this.addIdentity(tx, id, kind, value);
      await tx.query(`UPDATE customers SET updated_at = now() WHERE id = $1`, [id]);
    });
    return this.get(id);
  }

  /** Detaches one of the customer's identities: their next contact by it is a new, unknown customer's. 404 otherwise. */
  async detachIdentity(id: string, kind: IdentityKind, raw: string): Promise<void> {
    const value = normalizeIdentity(kind, raw);
    await this.dataSource.transaction(async (tx) => {
      await this.lockLive(tx, [id]);
      const gone = await rows(
        tx,
        `DELETE FROM customer_identities WHERE kind = $1 AND value = $2 AND customer_id = $3 RETURNING kind`,
        [kind, value, id],
      );
      if (gone.length === 0) throw new NotFoundError('Identity', `${kind} of customer ${id}`);
      await tx.query(`UPDATE customers SET updated_at = now() WHERE id = $1`, [id]);
    });
  }

  /**
   * Merges customer `fromId` into `intoId` in one transaction: identities, contacts (their messages travel with
   * them), cases, callbacks, incident notices, contact events and surveys become the survivor's, so the next contact
   * by any of the identities finds the survivor with the whole history (last agent, case owner). The survivor keeps
   * its profile, filling what it lacks from the other's. `fromId` stays as a pointer (`merged_into`) with nothing on
   * it: its id still resolves to the survivor. 400 for the same id twice, 404 for an unknown, erased or merged-away
   * one. `alsoWithin` runs in the merge's transaction, after the move.
   */
  async merge(intoId: string, fromId: string, alsoWithin?: (tx: Sql) => Promise<void>): Promise<Customer> {
    if (intoId === fromId)
      throw new ValidationFailed('from must be another customer than the one merged into');
    await this.dataSource.transaction(async (tx) => {
      await this.lockLive(tx, [intoId, fromId], ['id', 'from']);
      await this.moveInto(tx, fromId, intoId);
      // what other parts keep about the merged-away id (e.g. the lines' never-match pairs), in the same transaction
      await alsoWithin?.(tx);
    });
    return this.get(intoId);
  }

  /** Locks the customers' rows in id order; 404 (naming `fields[i]`'s id) for one unknown, erased or merged away. */
  private async lockLive(sql: Sql, ids: string[], fields: string[] = ['id']): Promise<void> {
    ids.forEach((id, i) => {
      if (!UUID.test(id)) throw new NotFoundError('Customer', `${fields[i] ?? 'id'} ${id}`);
    });
    const live = await rows<{ id: string }>(
      sql,
      `SELECT id FROM customers WHERE id = ANY($1::uuid[]) AND erased_at IS NULL AND merged_into IS NULL
        ORDER BY id FOR UPDATE`,
      [ids],
    );
    ids.forEach((id) => {
      if (!live.some((row) => row.id === id)) throw new NotFoundError('Customer', id);
    });
  }

  /** Everything of `fromId` becomes `intoId`'s; `fromId` is left as a pointer. Rows of both locked by the caller. */
  private async moveInto(sql: Sql, fromId: string, intoId: string): Promise<void> {
    const params = [fromId, intoId];
    await sql.query(`UPDATE customer_identities SET customer_id = $2 WHERE customer_id = $1`, params);
    await sql.query(`UPDATE contacts SET customer_id = $2 WHERE customer_id = $1`, params);
    await sql.query(`UPDATE cases SET customer_id = $2 WHERE customer_id = $1`, params);
    await sql.query(`UPDATE callbacks SET customer_id = $2 WHERE customer_id = $1`, params);
    // one notice per incident update and customer: the survivor's own wins
    await sql.query(
      `DELETE FROM incident_notices n WHERE n.customer_id = $1
          AND EXISTS (SELECT 1 FROM incident_notices m WHERE m.update_id = n.update_id AND m.customer_id = $2)`,
      params,
    );
    await sql.query(`UPDATE incident_notices SET customer_id = $2 WHERE customer_id = $1`, params);
    await sql.query(`UPDATE contact_events SET customer_id = $2 WHERE customer_id = $1`, params);
    await sql.query(`UPDATE surveys SET customer_id = $2 WHERE customer_id = $1`, params);
    // the survivor keeps its profile and fills what it lacks (external_ref is unique: moved, not copied); the other
    // is cleared to a pointer first
    const gone = await one<{
      name: string | null;
      known: boolean;
      external_ref: string | null;
      attributes: Record<string, string>;
      notice_channel: string | null;
    }>(sql, `SELECT name, known, external_ref, attributes, notice_channel FROM customers WHERE id = $1`, [
      fromId,
    ]);
    await sql.query(
      `UPDATE customers SET name = NULL, known = false, external_ref = NULL, attributes = '{}'::jsonb,
              notice_channel = NULL, merged_into = $2, merged_at = now(), updated_at = now()
        WHERE id = $1`,
      params,
    );
    await sql.query(
      `UPDATE customers SET name = coalesce(name, $2), known = known OR $3, external_ref = coalesce(external_ref, $4),
              attributes = $5::jsonb || attributes, notice_channel = coalesce(notice_channel, $6), updated_at = now()
        WHERE id = $1`,
      [
        intoId,
        gone?.name ?? null,
        gone?.known ?? false,
        gone?.external_ref ?? null,
        JSON.stringify(gone?.attributes ?? {}),
        gone?.notice_channel ?? null,
      ],
    );
  }
}
