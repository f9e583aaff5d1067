import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentRepository } from '@tether/agents';
import { normalizePhone } from '@tether/customers';
import { ConflictError, NotFoundError, ValidationFailed } from '@tether/errors';
import { inTransaction, one, rows, Sql } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import type { Line } from '@tether/routing';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import { TelephonyCallbackEvent, TelephonyCallbackService } from '@tether/telephony';
import { callbackView } from './callback-view';
import { ContactDispatcher } from './contact-dispatcher.service';
import { ContactLifecycleService } from './contact-lifecycle.service';
import { ContactNotAssignedToAgent } from './contact.errors';
import type { CallView, CallbackListing, CallbackState, CallbackView } from './contact.types';
import { LineRoutingRepository } from './line-routing.repository';
import type { ConfirmCallbackOutcome, DialResultOutcome, OutboundContactOutcome } from './sql-outcomes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** how far ahead a callback may be promised */
const MAX_AHEAD_MS = 14 * 24 * 3600 * 1000;
/** a missed callback goes ahead of every other waiting contact of its line */
const MISSED_PRIORITY_BOOST = 100;

export const DIAL_RESULTS = ['no_answer', 'busy', 'failed'] as const;
export type DialResult = (typeof DIAL_RESULTS)[number];

/** A caller's confirmation (POST /v1/telephony/calls/{callId}/callback). */
export interface CallbackRequest {
  /** not before (a preferred window's start) */
  windowStart?: Date;
  /** by then (the window's end): its due time */
  windowEnd?: Date;
  /** the number to call back, when not the one they called from */
  number?: string;
}

/** An agent's callback (`callback:schedule`): about a contact of theirs, a case, or a customer. */
export interface ScheduleCallbackRequest {
  contactId?: string;
  caseId?: string;
  customerId?: string;
  line?: Line;
  windowStart?: Date;
  dueAt?: Date;
  number?: string;
  note?: string;
}

/** An agent's outbound call now (`contact:dial`): a customer, or a number. */
export interface DialRequest {
  customerId?: string;
  number?: string;
  caseId?: string;
  line?: Line;
}

const LISTING = `
  SELECT b.contact_id AS "contactId", c.external_id AS "callId", b.line, b.customer_id AS "customerId",
         b.case_id AS "caseId", b.requested_by_agent_id AS "requestedByAgentId", b.note, b.created_at AS "createdAt",
         jsonb_build_object('id', b.id, 'state', b.state, 'requestedBy', b.requested_by, 'windowStart', b.window_start,
           'dueAt', b.due_at, 'callerLeftAt', b.caller_left_at, 'attempts', b.attempts, 'maxAttempts', b.max_attempts,
           'lastResult', b.last_result, 'missedAt', b.missed_at, 'ownerAgentId', b.owner_agent_id) AS summary
    FROM callbacks b JOIN contacts c ON c.id = b.contact_id`;

interface ListingRow extends Omit<CallbackListing, keyof CallbackView | 'createdAt'> {
  createdAt: Date;
  summary: Record<string, unknown>;
}

function toListing(row: ListingRow): CallbackListing {
  const { summary, createdAt, ...rest } = row;
  return { ...callbackView(summary), ...rest, createdAt: createdAt.toISOString() };
}

/**
 * Callbacks instead of waiting, and outbound calls. A caller confirms a callback in the IVR and keeps their place
 * (`tether_confirm_callback`); once they hang up, their contact waits as a callback and the agent who accepts it gets
 * the customer dialled (`tether_accept_offer`: a signed `contact.dial`). An agent schedules a callback or dials now
 * (`tether_outbound_contact`). The platform reports a dial it could not complete (`tether_dial_result`): the attempt
 * is retried after the line's delay up to its maximum. A callback has an owner and a due time: its owner is reminded
 * (`callback.remind`), and one still unmade when due is missed (`callback.due`): it goes first on its line and its
 * owner's team and the supervisors are told.
 */
@Injectable()
export class ContactCallbackService {
  private readonly logger = new Logger(ContactCallbackService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rules: LineRoutingRepository,
    private readonly lifecycle: ContactLifecycleService,
    private readonly agents: AgentRepository,
    private readonly dispatcher: ContactDispatcher,
    private readonly scheduler: DurableScheduler,
    private readonly telephony: TelephonyCallbackService,
    private readonly bus: EventBus,
  ) {}

  /**
   * The caller confirmed a callback. Idempotent: a second confirmation answers the callback the first wrote
   * (`created: false`). Answers the call as GET shows it, with its `callback`.
   */
  async confirm(
    line: Line,
    callId: string,
    request: CallbackRequest,
  ): Promise<{ created: boolean; view: CallView }> {
    const policy = (await this.rules.cached(line)).callback;
    const now = Date.now();
    const number = request.number === undefined ? null : this.phone(request.number, 'number');
    this.checkWindow(request.windowStart, request.windowEnd, now, 'window');
    const dueAt = request.windowEnd ?? new Date(now + policy.dueSeconds * 1000);
    const result = await inTransaction(this.dataSource, async (tx) => {
      const row = await one<{
        outcome: ConfirmCallbackOutcome;
        contact_id: string | null;
        callback_id: string | null;
        owner_agent_id: string | null;
        due_at: Date | null;
        window_start: Date | null;
      }>(
        tx,
        `SELECT outcome, contact_id, callback_id, owner_agent_id, due_at, window_start
           FROM tether_confirm_callback($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          line,
          callId,
          request.windowStart ?? null,
          dueAt,
          number,
          policy.maxAttempts,
          policy.retrySeconds,
          request.windowStart && request.windowStart.getTime() > now
            ? `callback confirmed by the caller for ${request.windowStart.toISOString()}`
            : 'callback confirmed by the caller: keeps their place',
        ],
      );
      if (row?.outcome === 'confirmed')
        await this.scheduleTimers(tx, line, row.callback_id!, row.due_at!, row.window_start, policy);
      return row;
    });
    switch (result?.outcome) {
      case 'confirmed':
      case 'exists':
        break;
      case 'not_waiting':
        throw new ConflictError(
          'not_waiting',
          `call ${callId} is not waiting (connected or ended): there is no place in the queue to keep`,
        );
      case 'offered_now':
        throw new ConflictError(
          'offered_now',
          `call ${callId} is being offered to an agent: a window later than now cannot be kept; confirm without one`,
        );
      case 'no_number':
        throw new ValidationFailed("number: the caller's number is withheld: give the number to call back");
      case 'not_found':
      case undefined:
        throw new NotFoundError('Call', callId);
    }
    if (result.outcome === 'confirmed') {
      this.logger.log(
        { line, contactId: result.contact_id, callbackId: result.callback_id },
        'callback confirmed',
      );
      await this.bus.publish({ type: 'queue.changed', lines: [line] });
    }
    return { created: result.outcome === 'confirmed', view: await this.lifecycle.getCall(line, callId) };
  }

  /** An agent schedules a callback about a contact they handled, a case or a customer. */
  async schedule(
    agentId: string,
    request: ScheduleCallbackRequest,
  ): Promise<{ callbackId: string; contactId: string; callId: string; dueAt: string; ownerAgentId: string }> {
    const target = await this.target(agentId, request);
    const policy = (await this.rules.cached(target.line)).callback;
    const now = Date.now();
    this.checkWindow(request.windowStart, request.dueAt, now, '');
    const windowStart = request.windowStart ?? null;
    const dueAt =
      request.dueAt ?? new Date(Math.max(now, windowStart?.getTime() ?? now) + policy.dueSeconds * 1000);
    const number = request.number === undefined ? null : this.phone(request.number, 'number');
    const row = await inTransaction(this.dataSource, async (tx) => {
      const created = await this.outbound(tx, agentId, target, number, 'callback', {
        windowStart,
        dueAt,
        note: request.note ?? null,
        maxAttempts: policy.maxAttempts,
        retrySeconds: policy.retrySeconds,
        trace: `callback scheduled by ${agentId}${windowStart ? ` for ${windowStart.toISOString()}` : ''}`,
      });
      if (created.outcome === 'created')
        await this.scheduleTimers(
          tx,
          target.line,
          created.callback_id!,
          created.due_at!,
          windowStart,
          policy,
        );
      return created;
    });
    this.refuse(row.outcome, target.caseId);
    this.logger.log(
      { agentId, contactId: row.contact_id, callbackId: row.callback_id, line: target.line },
      'callback scheduled',
    );
    await this.bus.publish({ type: 'queue.changed', lines: [target.line] });
    this.dispatcher.request(target.line);
    return {
      callbackId: row.callback_id!,
      contactId: row.contact_id!,
      callId: row.call_id!,
      dueAt: row.due_at!.toISOString(),
      ownerAgentId: row.owner_agent_id!,
    };
  }

  /** An agent places a call now: an outbound contact connected to them, the platform asked to dial. */
  async dial(
    agentId: string,
    request: DialRequest,
  ): Promise<{ contactId: string; callId: string; line: Line }> {
    const target = await this.target(agentId, request);
    const number = request.number === undefined ? null : this.phone(request.number, 'number');
    const row = await inTransaction(this.dataSource, (tx) =>
      this.outbound(tx, agentId, target, number, 'dial', {
        windowStart: null,
        dueAt: null,
        note: null,
        maxAttempts: 1,
        retrySeconds: 0,
        trace: `outbound call placed by ${agentId}`,
      }),
    );
    this.refuse(row.outcome, target.caseId);
    if (row.outbox_id && row.outbox_body && this.telephony.url)
      this.telephony.deliverNow(row.outbox_id, this.telephony.url, row.outbox_body);
    this.logger.log({ agentId, contactId: row.contact_id, line: target.line }, 'outbound call placed');
    await this.bus.publish({
      type: 'contact.connected',
      agentId,
      contactId: row.contact_id!,
      line: target.line,
    });
    return { contactId: row.contact_id!, callId: row.call_id!, line: target.line };
  }

  /**
   * The platform could not reach the customer it dialled (`no_answer`, `busy`, `failed` call events): the agent is
   * released; a callback with attempts left waits again for its retry delay, else the contact ends.
   */
  async dialFailed(line: Line, callId: string, result: DialResult): Promise<CallView> {
    const row = await one<{
      outcome: DialResultOutcome;
      contact_id: string | null;
      agent_id: string | null;
      callback_id: string | null;
      retry_at: Date | null;
      attempts: number | null;
    }>(
      this.dataSource.manager,
      `SELECT outcome, contact_id, agent_id, callback_id, retry_at, attempts FROM tether_dial_result($1, $2, $3, $4)`,
      [line, callId, result, `dial attempt failed: ${result}`],
    );
    if (!row?.contact_id) throw new NotFoundError('Call', callId);
    if (row.outcome === 'not_dialing')
      throw new ConflictError('not_dialing', `call ${callId} is not being dialled: ${result} does not apply`);
    this.logger.log(
      { line, contactId: row.contact_id, result, attempts: row.attempts, outcome: row.outcome },
      'dial attempt failed',
    );
    await this.bus.publish({
      type: 'contact.ended',
      agentId: row.agent_id!,
      contactId: row.contact_id,
      reason: result,
    });
    if (row.outcome === 'retry') {
      await inTransaction(this.dataSource, (tx) =>
        this.scheduler.schedule(
          tx,
          'routing.sticky-wait',
          row.retry_at!,
          { line },
          `callback:${row.callback_id}@${row.retry_at!.getTime()}`,
        ),
      );
      this.scheduler.wake(row.retry_at!);
      await this.bus.publish({ type: 'queue.changed', lines: [line] });
    }
    for (const agentLine of await this.agents.linesOf(this.dataSource.manager, row.agent_id!))
      this.dispatcher.request(agentLine);
    return this.lifecycle.getCall(line, callId);
  }

  /** The open callbacks an agent owns (waiting or being dialled), soonest due first. */
  async openCallbacksOf(agentId: string): Promise<CallbackListing[]> {
    const found = await rows<ListingRow>(
      this.dataSource.manager,
      `${LISTING} WHERE b.owner_agent_id = $1 AND b.state IN ('waiting', 'dialing') ORDER BY b.due_at, b.id LIMIT 200`,
      [agentId],
    );
    return found.map(toListing);
  }

  /** Callbacks for supervisors and admins, newest due first, filtered. */
  async list(filter: {
    state?: CallbackState;
    line?: Line;
    ownerAgentId?: string;
    missed?: boolean;
    limit?: number;
  }): Promise<CallbackListing[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.state) add('b.state = ?', filter.state);
    if (filter.line) add('b.line = ?', filter.line);
    if (filter.ownerAgentId) add('b.owner_agent_id = ?', filter.ownerAgentId);
    if (filter.missed !== undefined)
      where.push(filter.missed ? 'b.missed_at IS NOT NULL' : 'b.missed_at IS NULL');
    params.push(filter.limit ?? 100);
    const found = await rows<ListingRow>(
      this.dataSource.manager,
      `${LISTING} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY b.due_at DESC, b.id LIMIT $${params.length}`,
      params,
    );
    return found.map(toListing);
  }

  async get(callbackId: string): Promise<CallbackListing> {
    if (!UUID.test(callbackId)) throw new NotFoundError('Callback', callbackId);
    const row = await one<ListingRow>(this.dataSource.manager, `${LISTING} WHERE b.id = $1`, [callbackId]);
    if (!row) throw new NotFoundError('Callback', callbackId);
    return toListing(row);
  }

  /**
   * A supervisor cancels a callback still waiting (the customer's problem was solved another way): its contact ends
   * (`callback_cancelled`), a pending offer of it is revoked. Cancelling a cancelled one answers it again; one being
   * dialled or made is no longer waiting (409).
   */
  async cancel(callbackId: string): Promise<CallbackListing> {
    if (!UUID.test(callbackId)) throw new NotFoundError('Callback', callbackId);
    const outcome = await inTransaction(this.dataSource, async (tx) => {
      // the contact row first, then its offer: the lock order of every contact transition
      const row = await one<{
        contact_id: string;
        line: Line;
        channel: string;
        status: string;
        state: CallbackState;
      }>(
        tx,
        `SELECT c.id AS contact_id, c.line, c.channel, c.status, b.state
           FROM callbacks b JOIN contacts c ON c.id = b.contact_id WHERE b.id = $1 FOR UPDATE OF c`,
        [callbackId],
      );
      if (!row) throw new NotFoundError('Callback', callbackId);
      if (row.state === 'cancelled') return { row, revoked: undefined, changed: false };
      if (row.state !== 'waiting')
        throw new ConflictError(
          'not_waiting',
          `callback ${callbackId} is ${row.state}: it can no longer be cancelled`,
        );
      const revoked = await one<{ id: string; agent_id: string }>(
        tx,
        `UPDATE offers SET state = 'revoked', end_reason = 'callback_cancelled', resolved_at = now()
          WHERE contact_id = $1 AND state = 'pending' RETURNING id, agent_id`,
        [row.contact_id],
      );
      if (revoked)
        await tx.query(
          `UPDATE agent_slots SET used = greatest(used - 1, 0) WHERE agent_id = $1 AND channel = $2`,
          [revoked.agent_id, row.channel],
        );
      await tx.query(
        `UPDATE contacts SET status = 'ended', end_reason = 'callback_cancelled', ended_at = now(),
                offered_agent_id = NULL, routing_trace = routing_trace || tether_trace('callback cancelled')
          WHERE id = $1 AND status IN ('queued', 'offered')`,
        [row.contact_id],
      );
      await tx.query(`UPDATE callbacks SET state = 'cancelled', updated_at = now() WHERE id = $1`, [
        callbackId,
      ]);
      return { row, revoked, changed: true };
    });
    if (outcome.changed) {
      this.logger.log({ callbackId, contactId: outcome.row.contact_id }, 'callback cancelled');
      if (outcome.revoked)
        await this.bus.publish({
          type: 'offer.revoked',
          agentId: outcome.revoked.agent_id,
          offerId: outcome.revoked.id,
          contactId: outcome.row.contact_id,
          reason: 'callback_cancelled',
        });
      await this.bus.publish({ type: 'queue.changed', lines: [outcome.row.line] });
      this.dispatcher.request(outcome.row.line);
    }
    return this.get(callbackId);
  }

  /** Before it is due, its owner is reminded, if it is still waiting. */
  @OnJob('callback.remind')
  async remind(job: DueJob<'callback.remind'>): Promise<void> {
    const row = await inTransaction(this.dataSource, async (tx) => {
      await this.scheduler.fence(tx, job);
      return one<{ owner_agent_id: string; contact_id: string; due_at: Date }>(
        tx,
        `UPDATE callbacks SET reminded_at = now(), updated_at = now()
          WHERE id = $1 AND state = 'waiting' AND reminded_at IS NULL AND owner_agent_id IS NOT NULL
          RETURNING owner_agent_id, contact_id, due_at`,
        [job.payload.callbackId],
      );
    });
    if (!row) return;
    await this.bus.publish({
      type: 'callback.reminder',
      agentId: row.owner_agent_id,
      callbackId: job.payload.callbackId,
      contactId: row.contact_id,
      dueAt: row.due_at.toISOString(),
    });
  }

  /**
   * Due and still unmade: missed. It goes ahead of every other waiting contact of its line and no longer waits for the
   * customer's last agent (a case's owner keeps the line's sticky wait, then the deputy and the case's team take it,
   * as for any contact of the case); its owner, their team (the case's team, else the owner's) and the supervisors
   * are told.
   */
  @OnJob('callback.due')
  async due(job: DueJob<'callback.due'>): Promise<void> {
    const missed = await inTransaction(this.dataSource, async (tx) => {
      await this.scheduler.fence(tx, job);
      const row = await one<{
        contact_id: string;
        line: Line;
        owner_agent_id: string | null;
        team: string | null;
      }>(
        tx,
        `UPDATE callbacks b SET missed_at = now(), updated_at = now()
           FROM callbacks o LEFT JOIN cases k ON k.id = o.case_id LEFT JOIN agents a ON a.id = o.owner_agent_id
          WHERE b.id = $1 AND o.id = b.id AND b.state = 'waiting' AND b.missed_at IS NULL AND b.due_at <= now()
          RETURNING b.contact_id, b.line, b.owner_agent_id, coalesce(k.team, a.team) AS team`,
        [job.payload.callbackId],
      );
      if (!row) return undefined;
      await tx.query(
        `UPDATE contacts SET priority = priority + $2, sticky_agent_id = NULL, last_agent_at = NULL,
                routing_trace = routing_trace || tether_trace($3)
          WHERE id = $1 AND status IN ('queued', 'offered')`,
        [
          row.contact_id,
          MISSED_PRIORITY_BOOST,
          'callback missed its due time: escalated (goes first, no longer waits for the last agent)',
        ],
      );
      const team = row.team
        ? await rows<{ id: string }>(tx, `SELECT id FROM agents WHERE team = $1 AND deleted_at IS NULL`, [
            row.team,
          ])
        : [];
      return {
        ...row,
        agentIds: [
          ...new Set([...(row.owner_agent_id ? [row.owner_agent_id] : []), ...team.map((a) => a.id)]),
        ],
      };
    });
    if (!missed) return;
    this.logger.warn({ callbackId: job.payload.callbackId, line: missed.line }, 'callback missed: escalated');
    await this.bus.publish({
      type: 'callback.missed',
      callbackId: job.payload.callbackId,
      contactId: missed.contact_id,
      line: missed.line,
      ownerId: missed.owner_agent_id,
      agentIds: missed.agentIds,
    });
    await this.bus.publish({ type: 'queue.changed', lines: [missed.line] });
    this.dispatcher.request(missed.line);
  }

  // ------------------------------------------------------------------------------------------------ internals

  /** The reminder, the due check and (for a window) the pass when it opens, in the transaction that wrote it. */
  private async scheduleTimers(
    tx: Sql,
    line: Line,
    callbackId: string,
    dueAt: Date,
    windowStart: Date | null,
    policy: { reminderSeconds: number },
  ): Promise<void> {
    // a due time nearer than the reminder's lead is reminded of at once
    const remindAt = new Date(Math.max(Date.now(), dueAt.getTime() - policy.reminderSeconds * 1000));
    if (policy.reminderSeconds > 0)
      await this.scheduler.schedule(tx, 'callback.remind', remindAt, { callbackId }, callbackId);
    await this.scheduler.schedule(tx, 'callback.due', dueAt, { callbackId }, callbackId);
    if (windowStart && windowStart.getTime() > Date.now())
      await this.scheduler.schedule(
        tx,
        'routing.sticky-wait',
        windowStart,
        { line },
        `callback:${callbackId}@${windowStart.getTime()}`,
      );
    this.scheduler.wake(windowStart && windowStart < remindAt ? windowStart : remindAt);
  }

  /** Whom and on which line an agent's callback or dial is about; the agent must serve that line. */
  private async target(
    agentId: string,
    request: { contactId?: string; caseId?: string; customerId?: string; number?: string; line?: Line },
  ): Promise<{ customerId: string | null; line: Line; caseId: string | null }> {
    const agentLines = await this.agents.linesOf(this.dataSource.manager, agentId);
    let customerId: string | null = null;
    let line: Line | undefined = request.line;
    let caseId: string | null = null;
    if (request.contactId !== undefined) {
      if (!UUID.test(request.contactId)) throw new ContactNotAssignedToAgent(request.contactId);
      const contact = await one<{ customer_id: string; line: Line; case_id: string | null }>(
        this.dataSource.manager,
        `SELECT customer_id, line, case_id FROM contacts WHERE id = $1 AND agent_id = $2`,
        [request.contactId, agentId],
      );
      if (!contact) throw new ContactNotAssignedToAgent(request.contactId);
      customerId = contact.customer_id;
      line ??= contact.line;
      caseId = contact.case_id;
    }
    if (request.caseId !== undefined) {
      if (!UUID.test(request.caseId)) throw new NotFoundError('Case', request.caseId);
      const found = await one<{ customer_id: string; line: Line }>(
        this.dataSource.manager,
        `SELECT customer_id, line FROM cases WHERE id = $1`,
        [request.caseId],
      );
      if (!found || (customerId !== null && found.customer_id !== customerId))
        throw new NotFoundError('Case', request.caseId);
      customerId = found.customer_id;
      line ??= found.line;
      caseId = request.caseId;
    }
    if (request.customerId !== undefined) {
      if (!UUID.test(request.customerId)) throw new NotFoundError('Customer', request.customerId);
      if (customerId !== null && customerId !== request.customerId)
        throw new ValidationFailed('customerId: not the customer of the contact or case given');
      customerId = request.customerId;
    }
    line ??= agentLines[0];
    if (line === undefined || !agentLines.includes(line))
      throw new ValidationFailed(`line: you do not serve line ${line ?? '(none)'}`);
    if (customerId === null && request.number === undefined)
      throw new ValidationFailed('one of contactId, caseId, customerId or number is required');
    return { customerId, line, caseId };
  }

  private async outbound(
    sql: Sql,
    agentId: string,
    target: { customerId: string | null; line: Line; caseId: string | null },
    number: string | null,
    mode: 'dial' | 'callback',
    options: {
      windowStart: Date | null;
      dueAt: Date | null;
      note: string | null;
      maxAttempts: number;
      retrySeconds: number;
      trace: string;
    },
  ): Promise<{
    outcome: OutboundContactOutcome;
    contact_id: string | null;
    call_id: string | null;
    callback_id: string | null;
    owner_agent_id: string | null;
    due_at: Date | null;
    outbox_id: string | null;
    outbox_body: TelephonyCallbackEvent | null;
  }> {
    const customerId = target.customerId ?? (await this.customerByNumber(sql, number!));
    const row = await one<Awaited<ReturnType<ContactCallbackService['outbound']>>>(
      sql,
      `SELECT outcome, contact_id, call_id, callback_id, owner_agent_id, due_at, outbox_id, outbox_body
         FROM tether_outbound_contact($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        agentId,
        target.line,
        customerId,
        number,
        target.caseId,
        mode,
        options.windowStart,
        options.dueAt,
        options.note,
        options.maxAttempts,
        options.retrySeconds,
        this.telephony.url,
        options.trace,
      ],
    );
    if (!row) throw new Error('tether_outbound_contact answered nothing');
    return row;
  }

  /** The customer a number belongs to; a number nobody has yet becomes a provisional customer (as at intake). */
  private async customerByNumber(sql: Sql, number: string): Promise<string> {
    const row = await one<{ id: string }>(
      sql,
      `WITH found AS (SELECT customer_id AS id FROM customer_identities WHERE kind = 'phone' AND value = $1),
            made AS (INSERT INTO customers (known) SELECT false WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id),
            linked AS (INSERT INTO customer_identities (kind, value, customer_id) SELECT 'phone', $1, id FROM made
                       ON CONFLICT (kind, value) DO NOTHING RETURNING customer_id AS id)
       SELECT id FROM found UNION ALL SELECT id FROM linked`,
      [number],
    );
    if (row) return row.id;
    // a concurrent first use of the number won: its customer
    const winner = await one<{ id: string }>(
      sql,
      `SELECT customer_id AS id FROM customer_identities WHERE kind = 'phone' AND value = $1`,
      [number],
    );
    if (!winner) throw new Error('customer for the number not found');
    return winner.id;
  }

  private refuse(outcome: OutboundContactOutcome, caseId: string | null): void {
    switch (outcome) {
      case 'created':
        return;
      case 'no_customer':
        throw new NotFoundError('Customer', '');
      case 'case_not_found':
        throw new NotFoundError('Case', caseId ?? '');
      case 'no_number':
        throw new ValidationFailed('number: the customer has no phone number: give the number to call');
      case 'busy':
        throw new ConflictError(
          'no_free_slot',
          'you have no free voice slot (or are signed out): finish or hand over a call first',
        );
    }
  }

  private phone(value: string, field: string): string {
    const normalized = normalizePhone(value);
    if (!normalized)
      throw new ValidationFailed(`${field} must be a phone number in E.164 form, e.g. +15551230001`);
    return normalized;
  }

  private checkWindow(start: Date | undefined, end: Date | undefined, now: number, prefix: string): void {
    const name = (field: string) => (prefix ? `${prefix}.${field}` : field);
    if (end !== undefined && end.getTime() <= now)
      throw new ValidationFailed(`${name(prefix ? 'end' : 'dueAt')} must be in the future`);
    if (start !== undefined && end !== undefined && start >= end)
      throw new ValidationFailed(
        `${name(prefix ? 'end' : 'dueAt')} must be after ${name(prefix ? 'start' : 'windowStart')}`,
      );
    for (const [field, value] of [
      [prefix ? 'start' : 'windowStart', start],
      [prefix ? 'end' : 'dueAt', end],
    ] as const)
      if (value !== undefined && value.getTime() > now + MAX_AHEAD_MS)
        throw new ValidationFailed(`${name(field)} must be within 14 days`);
  }
}
