import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { ConflictError, NotFoundError } from '@tether/errors';
import { inTransaction, one, rows } from '@tether/persistence';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import type { ContactExport, CustomerExport } from './customer-export.types';
import { deleteWithMergedAway, survivorOf } from './merged-customers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Contacts (and caller identities) a retention run erases per transaction: a batch takes well under the scheduler's
 * 5 s lease, and a full batch schedules the next one at once.
 */
export const RETENTION_BATCH = 1000;
const DAY_MS = 24 * 3600_000;

/**
 * What the customer's personal data rights need: erase (`DELETE /v1/customers/{id}`), export
 * (`GET /v1/customers/{id}/export`), and retention (`TETHER_RETENTION_DAYS`, a durable daily job).
 *
 * An erase replaces the customer by an anonymous tombstone (a new id: no name, no external ref, no identity,
 * `erased_at` set) and moves their contacts to it with their personal data nulled (libs/contacts'
 * `tether_erase_customer_contacts`), all in one transaction; the customer's own row and identities are deleted. So
 * the history stays as anonymous figures (how many contacts, on which lines, when, how they ended) and nothing
 * links it back to the erased id. The id is gone: a second erase, a read or an export of it answer 404.
 */
@Injectable()
export class CustomerPrivacyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(CustomerPrivacyService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly scheduler: DurableScheduler,
  ) {}

  /**
   * Erases the customer: identities, name and external ref deleted, their contacts' caller numbers, numbers called,
   * IVR input and notes nulled. Refused (409 `customer_has_live_contact`) while one of their contacts is in progress.
   */
  async erase(requested: string): Promise<{ contacts: number }> {
    if (!UUID.test(requested)) throw new NotFoundError('Customer', requested);
    const erased = await inTransaction(this.dataSource, async (tx) => {
      // a merged-away id is the same person: the survivor is erased, and every id merged into it with it
      const id = (await survivorOf(tx, requested)) ?? requested;
      // CustomerRepository.create's lock order: identities, then the customer
      await tx.query(
        `SELECT 1 FROM customer_identities WHERE customer_id = $1 ORDER BY kind, value FOR UPDATE`,
        [id],
      );
      // FOR UPDATE, not a weaker lock: it waits for an intake that has inserted a contact for this customer (its
      // foreign key holds the row FOR KEY SHARE), so that contact is erased too
      const customer = await one<{ created_at: Date }>(
        tx,
        `SELECT created_at FROM customers WHERE id = $1 AND erased_at IS NULL AND merged_into IS NULL FOR UPDATE`,
        [id],
      );
      if (!customer) throw new NotFoundError('Customer', requested);
      const tombstone = await one<{ id: string }>(
        tx,
        `INSERT INTO customers (known, created_at, erased_at) VALUES (false, $1, now()) RETURNING id`,
        [customer.created_at],
      );
      const result = await one<{ live: number; erased: number }>(
        tx,
        `SELECT live, erased FROM tether_erase_customer_contacts($1, $2)`,
        [id, tombstone!.id],
      );
      if (result!.live > 0)
        throw new ConflictError(
          'customer_has_live_contact',
          `customer ${id} has ${result!.live} contact(s) in progress: erase them once they have ended`,
        );
      await tx.query(`DELETE FROM customer_identities WHERE customer_id = $1`, [id]);
      // the notices sent to them: the address they went to and the customer id leave the outbox (a pending one is
      // not sent any more)
      await tx.query(
        `UPDATE outbound_webhooks w SET body = w.body - 'to' - 'customerId' - 'noticeId',
                status = CASE WHEN w.status = 'pending' THEN 'failed' ELSE w.status END,
                last_error = CASE WHEN w.status = 'pending' THEN 'customer erased' ELSE w.last_error END
          FROM incident_notices n WHERE n.outbound_id = w.id AND n.customer_id = $1`,
        [id],
      );
      await deleteWithMergedAway(tx, id);
      return { contacts: result!.erased };
    });
    // never the tombstone's id: it would link the anonymous history back to the erased customer
    this.logger.log({ customerId: requested, contacts: erased.contacts }, 'customer erased');
    return erased;
  }

  /** Everything Tether holds about the customer, read in one snapshot. */
  async export(requested: string): Promise<CustomerExport> {
    if (!UUID.test(requested)) throw new NotFoundError('Customer', requested);
    return this.dataSource.transaction('REPEATABLE READ', async (tx) => {
      // a merged-away id is the same person: what is held is held on the survivor
      const id = (await survivorOf(tx, requested)) ?? requested;
      const customer = await one<{
        id: string;
        name: string | null;
        known: boolean;
        external_ref: string | null;
        attributes: Record<string, string>;
        notice_channel: string | null;
        created_at: Date;
        updated_at: Date;
      }>(
        tx,
        `SELECT id, name, known, external_ref, attributes, notice_channel, created_at, updated_at FROM customers
          WHERE id = $1 AND erased_at IS NULL AND merged_into IS NULL`,
        [id],
      );
      if (!customer) throw new NotFoundError('Customer', requested);
      const identities = await rows<{ kind: string; value: string; created_at: Date }>(
        tx,
        `SELECT kind, value, created_at FROM customer_identities WHERE customer_id = $1 ORDER BY created_at, kind, value`,
        [id],
      );
      const contacts = await rows<ContactExportRow>(
        tx,
        `SELECT id, external_id, line, channel, status, end_reason, from_address, to_address, ivr, priority,
                required_skills, announcement, agent_id, resolution, notes, routing_trace, enqueued_at, offered_at,
                connected_at, answered_at, ended_at, completed_at, created_at, erased_at
         FROM contacts WHERE customer_id = $1 ORDER BY created_at, id`,
        [id],
      );
      const offers = await rows<OfferExportRow>(
        tx,
        `SELECT o.id, o.contact_id, o.agent_id, o.state, o.reason, o.trace, o.created_at, o.expires_at,
                o.resolved_at, o.end_reason
         FROM offers o JOIN contacts c ON c.id = o.contact_id WHERE c.customer_id = $1 ORDER BY o.created_at, o.id`,
        [id],
      );
      const cases = await rows<CustomerExport['cases'][number]>(
        tx,
        `SELECT k.id, k.line, k.subject, k.status, k.owner_id AS "ownerId", k.team,
                to_char(k.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "dueAt",
                to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
                to_char(k.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "resolvedAt",
                coalesce((SELECT array_agg(c.id ORDER BY c.created_at) FROM contacts c WHERE c.case_id = k.id),
                         '{}') AS "contactIds"
           FROM cases k WHERE k.customer_id = $1 ORDER BY k.created_at, k.id`,
        [id],
      );
      const notices = await rows<CustomerExport['notices'][number]>(
        tx,
        `SELECT n.incident_id AS "incidentId", n.channel, w.body ->> 'to' AS "to", w.body ->> 'text' AS text,
                w.status, to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
                to_char(w.delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "deliveredAt"
           FROM incident_notices n LEFT JOIN outbound_webhooks w ON w.id = n.outbound_id
          WHERE n.customer_id = $1 ORDER BY n.created_at, n.update_id`,
        [id],
      );
      const offersByContact = new Map<string, OfferExportRow[]>();
      for (const offer of offers) {
        const list = offersByContact.get(offer.contact_id);
        if (list) list.push(offer);
        else offersByContact.set(offer.contact_id, [offer]);
      }
      return {
        exportedAt: new Date().toISOString(),
        customer: {
          id: customer.id,
          name: customer.name,
          known: customer.known,
          externalRef: customer.external_ref,
          attributes: customer.attributes,
          noticeChannel: customer.notice_channel,
          createdAt: customer.created_at.toISOString(),
          updatedAt: customer.updated_at.toISOString(),
        },
        identities: identities.map((i) => ({
          kind: i.kind,
          value: i.value,
          createdAt: i.created_at.toISOString(),
        })),
        contacts: contacts.map((c) => contactExport(c, offersByContact.get(c.id) ?? [])),
        cases,
        notices,
      };
    });
  }

  /** With retention on, a run at every start (the job's key makes it one run for instances starting together). */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.retentionDays) return;
    const now = new Date();
    await this.scheduler.schedule(
      this.dataSource.manager,
      'privacy.retention',
      now,
      {},
      `start@${utcDate(now)}`,
    );
    this.scheduler.wake(now);
  }

  /**
   * Retention: erases the personal data of contacts older than TETHER_RETENTION_DAYS, then the phone identities of
   * unregistered callers left with only erased contacts, one batch per transaction, fenced (a runner that lost its
   * claim writes nothing). A full batch is followed at once by the next; otherwise the next run is a day later. Turned
   * off (the variable unset since the job was scheduled), it does nothing and schedules nothing.
   */
  @OnJob('privacy.retention')
  async applyRetention(job: DueJob<'privacy.retention'>): Promise<void> {
    const days = this.config.retentionDays;
    if (!days) return;
    const run = await inTransaction(this.dataSource, async (tx) => {
      await this.scheduler.fence(tx, job);
      const contacts = (await one<{ n: number }>(
        tx,
        `SELECT tether_erase_expired_contact_data($1, $2) AS n`,
        [days, RETENTION_BATCH],
      ))!.n;
      const identities = (await one<{ n: number }>(
        tx,
        `SELECT tether_erase_expired_caller_identities($1, $2) AS n`,
        [days, RETENTION_BATCH],
      ))!.n;
      const more = contacts >= RETENTION_BATCH || identities >= RETENTION_BATCH;
      const next = more ? new Date() : new Date(Date.now() + DAY_MS);
      await this.scheduler.schedule(
        tx,
        'privacy.retention',
        next,
        {},
        more ? `more@${job.id}` : `daily@${utcDate(next)}`,
      );
      return { contacts, identities, next };
    });
    this.scheduler.wake(run.next);
    if (run.contacts + run.identities > 0)
      this.logger.log(
        { days, contacts: run.contacts, identities: run.identities },
        'retention: personal data past its retention erased',
      );
  }
}

interface ContactExportRow {
  id: string;
  external_id: string;
  line: ContactExport['line'];
  channel: ContactExport['channel'];
  status: string;
  end_reason: string | null;
  from_address: string | null;
  to_address: string | null;
  ivr: Record<string, unknown> | null;
  priority: number;
  required_skills: Record<string, number>;
  announcement: string | null;
  agent_id: string | null;
  resolution: string | null;
  notes: string | null;
  routing_trace: { at: string; text: string }[];
  enqueued_at: Date;
  offered_at: Date | null;
  connected_at: Date | null;
  answered_at: Date | null;
  ended_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  erased_at: Date | null;
}

interface OfferExportRow {
  id: string;
  contact_id: string;
  agent_id: string;
  state: string;
  reason: string;
  trace: string;
  created_at: Date;
  expires_at: Date;
  resolved_at: Date | null;
  end_reason: string | null;
}

function iso(at: Date | null): string | null {
  return at ? at.toISOString() : null;
}

function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function contactExport(c: ContactExportRow, offers: OfferExportRow[]): ContactExport {
  return {
    id: c.id,
    callId: c.external_id,
    line: c.line,
    channel: c.channel,
    status: c.status,
    endReason: c.end_reason,
    from: c.from_address,
    to: c.to_address,
    ivr: c.ivr,
    priority: c.priority,
    requiredSkills: c.required_skills,
    announcement: c.announcement,
    agentId: c.agent_id,
    resolution: c.resolution,
    notes: c.notes,
    routingTrace: c.routing_trace,
    enqueuedAt: c.enqueued_at.toISOString(),
    offeredAt: iso(c.offered_at),
    connectedAt: iso(c.connected_at),
    answeredAt: iso(c.answered_at),
    endedAt: iso(c.ended_at),
    completedAt: iso(c.completed_at),
    createdAt: c.created_at.toISOString(),
    erasedAt: iso(c.erased_at),
    offers: offers.map((o) => ({
      id: o.id,
      agentId: o.agent_id,
      state: o.state,
      reason: o.reason,
      trace: o.trace,
      createdAt: o.created_at.toISOString(),
      expiresAt: o.expires_at.toISOString(),
      resolvedAt: iso(o.resolved_at),
      endReason: o.end_reason,
    })),
  };
}
