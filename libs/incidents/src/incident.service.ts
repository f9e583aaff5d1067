import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { NotFoundError, ValidationFailed } from '@tether/errors';
import { LineDirectory } from '@tether/lines';
import { inTransaction, one, rows, Sql } from '@tether/persistence';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import type {
  Incident,
  IncidentChanges,
  IncidentScope,
  IncidentStatus,
  IncidentUpdate,
  NewIncident,
} from './incident.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Affected customers handled per transaction of the notice fan-out. */
const NOTICE_BATCH = 500;

interface IncidentRow {
  id: string;
  title: string;
  announcement: string;
  status: IncidentStatus;
  eta: Date | null;
  affected_customer_ids: string[];
  affected_phone_prefixes: string[];
  affected_attributes: Record<string, string[]>;
  affected_lines: string[];
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  contact_count: number;
  notice_count: number;
  updates: {
    id: string;
    kind: IncidentUpdate['kind'];
    text: string | null;
    status: IncidentStatus;
    eta: string | null;
    notify: boolean;
    at: string;
  }[];
}

const SELECT_INCIDENT = `SELECT i.*,
  (SELECT count(*)::int FROM contacts c WHERE c.incident_id = i.id) AS contact_count,
  (SELECT count(*)::int FROM incident_notices n WHERE n.incident_id = i.id AND n.outbound_id IS NOT NULL) AS notice_count,
  (SELECT coalesce(json_agg(json_build_object('id', u.id::text, 'kind', u.kind, 'text', u.text, 'status', u.status,
            'eta', u.eta, 'notify', u.notify, 'at', u.created_at) ORDER BY u.id), '[]'::json)
     FROM incident_updates u WHERE u.incident_id = i.id) AS updates
  FROM incidents i`;

function toIncident(row: IncidentRow): Incident {
  return {
    id: row.id,
    title: row.title,
    announcement: row.announcement,
    status: row.status,
    eta: row.eta?.toISOString() ?? null,
    affected: {
      customerIds: row.affected_customer_ids,
      phonePrefixes: row.affected_phone_prefixes,
      attributes: row.affected_attributes,
      lines: row.affected_lines,
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    contactCount: row.contact_count,
    noticeCount: row.notice_count,
    updates: row.updates.map((u) => ({
      id: u.id,
      kind: u.kind,
      text: u.text,
      status: u.status,
      eta: u.eta ? new Date(u.eta).toISOString() : null,
      notified: u.notify,
      at: new Date(u.at).toISOString(),
    })),
  };
}

/**
 * Incidents: declared by admins, announced to the callers they affect (`tether_incident_affecting`, at intake) and
 * pushed to the affected customers: opening, every change of status or ETA, every update with a text, and the
 * resolution are updates, and each notifiable update sends one notice per affected customer
 * (`tether_incident_notify`: an outbox row per customer, unique per update and customer, delivered signed and
 * retried to TETHER_NOTIFY_URL), in batches under a durable job, so a restart or a second instance sends none twice.
 */
@Injectable()
export class IncidentService {
  private readonly logger = new Logger(IncidentService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly scheduler: DurableScheduler,
    private readonly lines: LineDirectory,
  ) {}

  async create(input: NewIncident, createdBy?: string): Promise<Incident> {
    const scope = normalizeScope(input.affected);
    if (scope.lines.length > 0) await this.lines.assertDefined(scope.lines);
    if (isEmpty(scope))
      throw new ValidationFailed(
        'affected: name at least one of customerIds, phonePrefixes, attributes or lines',
      );
    const status = input.status ?? 'open';
    const eta = input.eta ? new Date(input.eta) : null;
    const id = await inTransaction(this.dataSource, async (tx) => {
      const row = await one<{ id: string }>(
        tx,
        `INSERT INTO incidents (title, announcement, status, eta, affected_customer_ids, affected_phone_prefixes,
                                affected_attributes, affected_lines, created_by, resolved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $3 = 'resolved' THEN now() END) RETURNING id`,
        [
          input.title,
          input.announcement,
          status,
          eta,
          scope.customerIds,
          scope.phonePrefixes,
          JSON.stringify(scope.attributes),
          scope.lines,
          createdBy ?? null,
        ],
      );
      await this.recordUpdate(tx, row!.id, 'opened', null, status, eta, true);
      return row!.id;
    });
    this.logger.log({ incidentId: id, status }, 'incident opened');
    this.scheduler.wake();
    return this.get(id);
  }

  async get(id: string): Promise<Incident> {
    const row = UUID.test(id)
      ? await one<IncidentRow>(this.dataSource.manager, `${SELECT_INCIDENT} WHERE i.id = $1`, [id])
      : undefined;
    if (!row) throw new NotFoundError('Incident', id);
    return toIncident(row);
  }

  /** Newest first; `status` filters; `active` is every status but resolved. */
  async list(
    filter: { status?: IncidentStatus; active?: boolean; line?: string },
    limit: number,
  ): Promise<Incident[]> {
    const found = await rows<IncidentRow>(
      this.dataSource.manager,
      `${SELECT_INCIDENT}
        WHERE ($1::text IS NULL OR i.status = $1) AND (NOT $2 OR i.status <> 'resolved')
          AND ($3::text IS NULL OR $3 = ANY (i.affected_lines))
        ORDER BY i.created_at DESC, i.id LIMIT $4`,
      [filter.status ?? null, filter.active === true, filter.line ?? null, limit],
    );
    return found.map(toIncident);
  }

  /**
   * Changes an incident. A change of status or ETA, an `update` text, or the resolution is an update the affected
   * customers are sent; a change of title, announcement or scope alone is not.
   */
  async update(id: string, changes: IncidentChanges): Promise<Incident> {
    if (!UUID.test(id)) throw new NotFoundError('Incident', id);
    const scope = changes.affected ? normalizeScope(changes.affected) : undefined;
    if (scope?.lines.length) await this.lines.assertDefined(scope.lines);
    await inTransaction(this.dataSource, async (tx) => {
      const before = await one<{ status: IncidentStatus; eta: Date | null }>(
        tx,
        `SELECT status, eta FROM incidents WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!before) throw new NotFoundError('Incident', id);
      const status = changes.status ?? before.status;
      const eta =
        changes.eta === undefined ? before.eta : changes.eta === null ? null : new Date(changes.eta);
      const after = await one<{ affected: number }>(
        tx,
        `UPDATE incidents SET title = coalesce($2, title), announcement = coalesce($3, announcement), status = $4,
                eta = $5,
                affected_customer_ids = coalesce($6, affected_customer_ids),
                affected_phone_prefixes = coalesce($7, affected_phone_prefixes),
                affected_attributes = coalesce($8::jsonb, affected_attributes),
                affected_lines = coalesce($9, affected_lines),
                resolved_at = CASE WHEN $4 = 'resolved' THEN coalesce(resolved_at, now()) END, updated_at = now()
          WHERE id = $1
          RETURNING cardinality(affected_customer_ids) + cardinality(affected_phone_prefixes)
                    + cardinality(affected_lines) + (SELECT count(*) FROM jsonb_object_keys(affected_attributes))::int
                    AS affected`,
        [
          id,
          changes.title ?? null,
          changes.announcement ?? null,
          status,
          eta,
          scope?.customerIds ?? null,
          scope?.phonePrefixes ?? null,
          scope ? JSON.stringify(scope.attributes) : null,
          scope?.lines ?? null,
        ],
      );
      if (after!.affected === 0)
        throw new ValidationFailed(
          'affected: name at least one of customerIds, phonePrefixes, attributes or lines',
        );
      const statusChanged = status !== before.status;
      const etaChanged = (eta?.getTime() ?? null) !== (before.eta?.getTime() ?? null);
      if (statusChanged || etaChanged || changes.update) {
        const kind = status === 'resolved' && statusChanged ? 'resolved' : 'update';
        await this.recordUpdate(tx, id, kind, changes.update ?? null, status, eta, true);
      }
    });
    this.scheduler.wake();
    return this.get(id);
  }

  /** Sends an update's notices: batches until every affected customer has one. */
  @OnJob('incident.notify')
  async notify(job: DueJob<'incident.notify'>): Promise<void> {
    const url = this.config.notifyUrl;
    if (!url) return;
    for (;;) {
      const handled = await inTransaction(this.dataSource, async (tx) => {
        // the lease covers the batch: another instance cannot run this job meanwhile
        await this.scheduler.fence(tx, job, { holdMs: 30_000 });
        const row = await one<{ n: number }>(tx, `SELECT tether_incident_notify($1, $2, $3, $4) AS n`, [
          job.payload.updateId,
          url,
          NOTICE_BATCH,
          this.config.notifyRatePerSecond,
        ]);
        return row?.n ?? 0;
      });
      this.scheduler.wake();
      if (handled < NOTICE_BATCH) return;
    }
  }

  private async recordUpdate(
    tx: Sql,
    incidentId: string,
    kind: IncidentUpdate['kind'],
    text: string | null,
    status: IncidentStatus,
    eta: Date | null,
    notify: boolean,
  ): Promise<void> {
    const row = await one<{ id: string }>(
      tx,
      `INSERT INTO incident_updates (incident_id, kind, text, status, eta, notify) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id`,
      [incidentId, kind, text, status, eta, notify],
    );
    if (notify && this.config.notifyUrl)
      await this.scheduler.schedule(
        tx,
        'incident.notify',
        new Date(),
        { updateId: row!.id },
        `update:${row!.id}`,
      );
  }
}

function normalizeScope(scope: Partial<IncidentScope>): IncidentScope {
  return {
    customerIds: [...new Set(scope.customerIds ?? [])],
    phonePrefixes: [...new Set(scope.phonePrefixes ?? [])],
    attributes: scope.attributes ?? {},
    lines: [...new Set(scope.lines ?? [])],
  };
}

function isEmpty(scope: IncidentScope): boolean {
  return (
    scope.customerIds.length === 0 &&
    scope.phonePrefixes.length === 0 &&
    scope.lines.length === 0 &&
    Object.keys(scope.attributes).length === 0
  );
}
