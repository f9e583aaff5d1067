import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConflictError, NotFoundError, ValidationFailed } from '@tether/errors';
import { inTransaction, one, retryDeadlock, rows, Sql, StatementBatcher } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import type { Line } from '@tether/routing';
import {
  CASE_STORY_CONTACTS,
  CaseChanges,
  CaseFilter,
  CaseNotice,
  CaseNoticeKind,
  CaseStory,
  CaseSummary,
  OPEN_CASE_STATUSES,
} from './case.types';

/** the most agents one pending-notices read covers */
const NOTICE_BATCH_MAX = 500;
/** the most undelivered notices a connecting socket is sent at once */
const NOTICES_PER_AGENT = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A story without its contacts and promises: what lists show. */
function summaryOf(story: CaseStory): CaseSummary {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { contacts, promises, ...summary } = story;
  return summary;
}

interface NoticeRow {
  id: string;
  kind: CaseNoticeKind;
  case_id: string;
  subject: string;
  contact_id: string | null;
  by_id: string | null;
  by_name: string | null;
  created_at: Date;
}

const SELECT_NOTICE = `SELECT n.id, n.kind, n.case_id, k.subject, n.contact_id, n.by_agent_id AS by_id,
  b.name AS by_name, n.created_at
  FROM case_notices n JOIN cases k ON k.id = n.case_id LEFT JOIN agents b ON b.id = n.by_agent_id`;

function noticeText(row: NoticeRow): string {
  const by = row.by_name ?? 'another agent';
  switch (row.kind) {
    case 'customer_called':
      return `your customer called about "${row.subject}"; ${by} took it`;
    case 'case_handed_over':
      return `${row.by_name ? `${row.by_name} handed you` : 'you were handed'} the case "${row.subject}"`;
    case 'case_overdue':
      return `your case "${row.subject}" is overdue`;
  }
}

function noticeOf(row: NoticeRow): CaseNotice {
  return {
    noticeId: row.id,
    kind: row.kind,
    caseId: row.case_id,
    subject: row.subject,
    contactId: row.contact_id,
    by: row.by_id ? { id: row.by_id, name: row.by_name ?? '' } : null,
    text: noticeText(row),
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Cases: a customer's problem across contacts, with one owner. Contacts join cases when they are completed
 * (`tether_complete_contact` → `tether_link_case`); this service reads them, changes them (status, subject, due time,
 * team) and hands them over, and keeps owners told: `case.updated` events for the owner's sockets, and notices
 * (`case_notices`) for what happened while they were away, delivered when they next connect.
 */
@Injectable()
export class CaseService {
  private readonly logger = new Logger(CaseService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly scheduler: DurableScheduler,
  ) {}

  /** The story so far of one case: NotFound for an unknown id. */
  async story(id: string, sql: Sql = this.dataSource.manager): Promise<CaseStory> {
    const found = UUID.test(id)
      ? await one<{ story: CaseStory | null }>(sql, `SELECT tether_case_story($1, $2) AS story`, [
          id,
          CASE_STORY_CONTACTS,
        ])
      : undefined;
    if (!found?.story) throw new NotFoundError('Case', id);
    return found.story;
  }

  /**
   * A page of cases, newest first, filtered; `next` is the cursor of the following page while more follow (keyset
   * on (created_at, id)). An unknown cursor: ValidationFailed naming `cursor`.
   */
  async list(
    filter: CaseFilter,
    limit: number,
    after?: string,
  ): Promise<{ cases: CaseSummary[]; next?: string }> {
    if (after !== undefined) {
      const known =
        UUID.test(after) &&
        (await one(this.dataSource.manager, `SELECT 1 FROM cases WHERE id = $1`, [after]));
      if (!known)
        throw new ValidationFailed('cursor: no case has this id (use the Link header of the previous page)');
    }
    const page = await rows<{ story: CaseStory }>(
      this.dataSource.manager,
      `SELECT tether_case_story(k.id, 0) AS story FROM cases k
        WHERE ($1::uuid IS NULL OR k.owner_id = $1)
          AND ($2::text IS NULL OR k.status = $2)
          AND ($3::text IS NULL OR k.line = $3)
          AND ($4::uuid IS NULL OR k.customer_id = $4)
          AND ($5::text IS NULL OR k.team = $5)
          AND (NOT $6 OR (k.due_at < now() AND k.status = ANY ($7::text[])))
          AND ($8::uuid IS NULL OR (k.created_at, k.id) < (SELECT created_at, id FROM cases WHERE id = $8))
        ORDER BY k.created_at DESC, k.id DESC
        LIMIT $9`,
      [
        filter.ownerId ?? null,
        filter.status ?? null,
        filter.line ?? null,
        filter.customerId ?? null,
        filter.team ?? null,
        filter.overdue === true,
        OPEN_CASE_STATUSES,
        after ?? null,
        limit + 1,
      ],
    );
    const cases = page.slice(0, limit).map((r) => summaryOf(r.story));
    return page.length > limit ? { cases, next: cases[cases.length - 1].id } : { cases };
  }

  /** An agent's open cases, overdue first, then by due time, then newest: their `cases:list`. */
  async openCasesOf(agentId: string): Promise<CaseSummary[]> {
    const found = await rows<{ story: CaseStory }>(
      this.dataSource.manager,
      `SELECT tether_case_story(k.id, 0) AS story FROM cases k
        WHERE k.owner_id = $1 AND k.status = ANY ($2::text[])
        ORDER BY (k.due_at < now()) DESC NULLS LAST, k.due_at NULLS LAST, k.updated_at DESC
        LIMIT 500`,
      [agentId, OPEN_CASE_STATUSES],
    );
    return found.map((r) => summaryOf(r.story));
  }

  /**
   * Changes a case. A new `ownerId` is a handover (to a live agent; null leaves the case to its team): the new owner
   * gets a notice and a `case:updated`, the former owner a `case:updated`. `byAgentId` is the agent who asked (the
   * owner handing their case over from their desk), null for an admin. `resolved`/`closed` stamp their time; back to
   * an open status clears them. A subject another open case of the customer on that line already has: Conflict.
   */
  async update(id: string, changes: CaseChanges, byAgentId: string | null = null): Promise<CaseStory> {
    if (!UUID.test(id)) throw new NotFoundError('Case', id);
    if (changes.ownerId) await this.assertLiveAgent(changes.ownerId, 'ownerId');
    const dueAt =
      changes.dueAt === undefined ? undefined : changes.dueAt === null ? null : new Date(changes.dueAt);
    if (dueAt && Number.isNaN(dueAt.getTime())) throw new ValidationFailed('dueAt: not a date-time');
    const outcome = await inTransaction(this.dataSource, async (tx) => {
      const before = await one<{ owner_id: string | null; status: string; due_at: Date | null }>(
        tx,
        `SELECT owner_id, status, due_at FROM cases WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!before) throw new NotFoundError('Case', id);
      if (byAgentId !== null && before.owner_id !== byAgentId)
        throw new ConflictError('not_case_owner', `case ${id} is not yours to hand over`);
      try {
        await tx.query(
          `UPDATE cases SET
             subject = coalesce($2, subject),
             status = coalesce($3, status),
             owner_id = CASE WHEN $4 THEN $5::uuid ELSE owner_id END,
             team = CASE WHEN $6 THEN $7::text ELSE team END,
             due_at = CASE WHEN $8 THEN $9::timestamptz ELSE due_at END,
             resolved_at = CASE WHEN $3 = 'resolved' AND status <> 'resolved' THEN now()
                                WHEN $3 IN ('open', 'waiting_on_customer') THEN NULL ELSE resolved_at END,
             closed_at = CASE WHEN $3 = 'closed' AND status <> 'closed' THEN now()
                              WHEN $3 IN ('open', 'waiting_on_customer') THEN NULL ELSE closed_at END,
             updated_at = now()
           WHERE id = $1`,
          [
            id,
            changes.subject ?? null,
            changes.status ?? null,
            changes.ownerId !== undefined,
            changes.ownerId ?? null,
            changes.team !== undefined,
            changes.team ?? null,
            dueAt !== undefined,
            dueAt ?? null,
          ],
        );
      } catch (error) {
        if ((error as { code?: string }).code === '23505')
          throw new ConflictError(
            'case_subject_taken',
            'subject: the customer has another open case on this line with this subject',
          );
        throw error;
      }
      const handedOver = changes.ownerId !== undefined && changes.ownerId !== before.owner_id;
      let noticeId: string | undefined;
      if (handedOver && changes.ownerId) {
        noticeId = await this.recordNotice(tx, changes.ownerId, id, 'case_handed_over', null, byAgentId);
      }
      if (dueAt) {
        await this.scheduler.schedule(tx, 'case.overdue', dueAt, { caseId: id }, `${id}@${dueAt.getTime()}`);
      }
      return { before, handedOver, noticeId };
    });
    if (dueAt) this.scheduler.wake(dueAt);
    const { before, handedOver, noticeId } = outcome;
    if (handedOver) {
      this.logger.log({ caseId: id, from: before.owner_id, to: changes.ownerId ?? null }, 'case handed over');
      if (changes.ownerId) {
        await this.bus.publish({
          type: 'case.updated',
          caseId: id,
          agentIds: [changes.ownerId],
          reason: 'handed_over',
        });
        await this.bus.publish({ type: 'case.notice', agentId: changes.ownerId, noticeId: noticeId! });
      }
      if (before.owner_id)
        await this.bus.publish({
          type: 'case.updated',
          caseId: id,
          agentIds: [before.owner_id],
          reason: 'handed_away',
        });
    } else if (before.owner_id) {
      await this.bus.publish({
        type: 'case.updated',
        caseId: id,
        agentIds: [before.owner_id],
        reason: 'changed',
      });
    }
    return this.story(id);
  }

  /**
   * The agent is being removed (in the caller's transaction): their open cases go to their deputy (a live agent),
   * else to the case's team with no owner. Returns the cases and who has them now, for `announceHandovers`.
   */
  async handOverCasesOf(tx: Sql, agentId: string): Promise<{ caseId: string; ownerId: string | null }[]> {
    const moved = await rows<{ id: string; owner_id: string | null }>(
      tx,
      `UPDATE cases k SET owner_id = d.id, updated_at = now()
         FROM agents a LEFT JOIN agents d ON d.id = a.deputy_id AND d.deleted_at IS NULL
        WHERE a.id = $1 AND k.owner_id = $1 AND k.status = ANY ($2::text[])
        RETURNING k.id, k.owner_id`,
      [agentId, OPEN_CASE_STATUSES],
    );
    const handed: { caseId: string; ownerId: string | null }[] = [];
    for (const row of moved) {
      if (row.owner_id) await this.recordNotice(tx, row.owner_id, row.id, 'case_handed_over', null, null);
      handed.push({ caseId: row.id, ownerId: row.owner_id });
    }
    await tx.query(`UPDATE agents SET deputy_id = NULL WHERE deputy_id = $1`, [agentId]);
    return handed;
  }

  /** After the removal committed: the new owners hear of their cases. */
  async announceHandovers(handed: { caseId: string; ownerId: string | null }[]): Promise<void> {
    for (const { caseId, ownerId } of handed) {
      if (!ownerId) continue;
      await this.bus.publish({ type: 'case.updated', caseId, agentIds: [ownerId], reason: 'handed_over' });
    }
    const owners = new Set(handed.map((h) => h.ownerId).filter((o): o is string => o !== null));
    for (const agentId of owners) await this.deliverPendingNoticesLater(agentId);
  }

  /** A completion linked a contact to a case: its owner (if not the one completing) sees the case change. */
  async announceLinked(caseId: string, ownerId: string | null, opened: boolean): Promise<void> {
    if (!ownerId) return;
    await this.bus.publish({
      type: 'case.updated',
      caseId,
      agentIds: [ownerId],
      reason: opened ? 'opened' : 'linked',
    });
  }

  /**
   * Notices not yet delivered to the agent, oldest first (what their socket gets on connect). The agents asked about
   * together (a connect storm) are read in one statement (`pendingNoticesOf`).
   */
  pendingNotices(agentId: string): Promise<CaseNotice[]> {
    return this.notices.submit(agentId);
  }

  private readonly notices = StatementBatcher.byId<CaseNotice[]>(
    (agentIds) => this.pendingNoticesOf(agentIds),
    () => [],
    NOTICE_BATCH_MAX,
  );

  /** statements run for `pendingNotices` since start (one per batch): what the connect-storm test counts */
  get noticeBatches(): number {
    return this.notices.batches;
  }

  /** The undelivered notices of these agents (at most 200 each, oldest first), by agent: one query. */
  async pendingNoticesOf(agentIds: readonly string[]): Promise<Map<string, CaseNotice[]>> {
    const byAgent = new Map<string, CaseNotice[]>();
    // a malformed id would fail the whole batch's statement: it has no notices
    const ids = [...new Set(agentIds)].filter((id) => UUID.test(id));
    if (ids.length === 0) return byAgent;
    const found = await rows<NoticeRow & { agent_id: string }>(
      this.dataSource.manager,
      `SELECT x.agent_id, p.* FROM unnest($1::uuid[]) AS x(agent_id)
       CROSS JOIN LATERAL (${SELECT_NOTICE} WHERE n.agent_id = x.agent_id AND n.delivered_at IS NULL
                           ORDER BY n.id LIMIT ${NOTICES_PER_AGENT}) p
       ORDER BY x.agent_id, p.id`,
      [ids],
    );
    for (const row of found) {
      const list = byAgent.get(row.agent_id);
      if (list) list.push(noticeOf(row));
      else byAgent.set(row.agent_id, [noticeOf(row)]);
    }
    return byAgent;
  }

  /** One notice, if it is still undelivered. */
  async pendingNotice(noticeId: string): Promise<CaseNotice | undefined> {
    if (!/^\d{1,18}$/.test(noticeId)) return undefined;
    const row = await one<NoticeRow>(
      this.dataSource.manager,
      `${SELECT_NOTICE} WHERE n.id = $1 AND n.delivered_at IS NULL`,
      [noticeId],
    );
    return row && noticeOf(row);
  }

  /**
   * The notices were sent to a socket of their agent: not sent again on the next connect. The marks made together
   * (sockets of a connect storm that had notices) are written in one statement.
   */
  async markDelivered(noticeIds: readonly string[]): Promise<void> {
    if (noticeIds.length === 0) return;
    await this.deliveries.submit(noticeIds);
  }

  private readonly deliveries = new StatementBatcher<readonly string[], void>(async (batch) => {
    const ids = [...new Set(batch.flat())];
    await retryDeadlock(() =>
      this.dataSource.query(`UPDATE case_notices SET delivered_at = now() WHERE id = ANY ($1::bigint[])`, [
        ids,
      ]),
    );
    return batch.map(() => undefined);
  }, NOTICE_BATCH_MAX);

  /** statements run for `markDelivered` since start (one per batch) */
  get deliveryBatches(): number {
    return this.deliveries.batches;
  }

  /** A case's due time came: still open, its owner gets a notice and supervisors an event. */
  @OnJob('case.overdue')
  async dueTimePassed(job: DueJob<'case.overdue'>): Promise<void> {
    const { caseId } = job.payload;
    const outcome = await inTransaction(this.dataSource, async (tx) => {
      await this.scheduler.fence(tx, job);
      const k = await one<{ owner_id: string | null; line: Line }>(
        tx,
        `SELECT owner_id, line FROM cases WHERE id = $1 AND status = ANY ($2::text[]) AND due_at <= now()`,
        [caseId, OPEN_CASE_STATUSES],
      );
      if (!k) return undefined;
      const noticeId = k.owner_id
        ? await this.recordNotice(tx, k.owner_id, caseId, 'case_overdue', null, null)
        : undefined;
      return { ownerId: k.owner_id, line: k.line, noticeId };
    });
    if (!outcome) return;
    this.logger.log({ caseId, ownerId: outcome.ownerId }, 'case overdue');
    await this.bus.publish({ type: 'case.overdue', caseId, ownerId: outcome.ownerId, line: outcome.line });
    if (outcome.ownerId) {
      await this.bus.publish({
        type: 'case.updated',
        caseId,
        agentIds: [outcome.ownerId],
        reason: 'overdue',
      });
      await this.bus.publish({ type: 'case.notice', agentId: outcome.ownerId, noticeId: outcome.noticeId! });
    }
  }

  private async recordNotice(
    tx: Sql,
    agentId: string,
    caseId: string,
    kind: CaseNoticeKind,
    contactId: string | null,
    byAgentId: string | null,
  ): Promise<string> {
    const row = await one<{ id: string }>(
      tx,
      `INSERT INTO case_notices (agent_id, case_id, contact_id, kind, by_agent_id) VALUES ($1, $2, $3, $4, $5)
       RETURNING id`,
      [agentId, caseId, contactId, kind, byAgentId],
    );
    return row!.id;
  }

  /** Notices recorded inside a transaction are announced after it: one event per notice. */
  private async deliverPendingNoticesLater(agentId: string): Promise<void> {
    for (const notice of await this.pendingNotices(agentId))
      await this.bus.publish({ type: 'case.notice', agentId, noticeId: notice.noticeId });
  }

  private async assertLiveAgent(agentId: string, field: string): Promise<void> {
    const live =
      UUID.test(agentId) &&
      (await one(this.dataSource.manager, `SELECT 1 FROM agents WHERE id = $1 AND deleted_at IS NULL`, [
        agentId,
      ]));
    if (!live) throw new ValidationFailed(`${field}: no agent has the id ${agentId} (or it was removed)`);
  }
}
