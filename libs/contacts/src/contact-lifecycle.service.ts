import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CustomerRepository } from '@tether/customers';
import { NotFoundError } from '@tether/errors';
import { inTransaction, one } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import { Line, requiredSkillsFor } from '@tether/routing';
import { DurableScheduler } from '@tether/scheduler';
import { ContactDispatcher, JOB_STICKY_WAIT } from './contact-dispatcher.service';
import { ContactAlreadyCompleted, ContactNotAssignedToAgent } from './contact.errors';
import { CallView, ContactRow, IncomingCall, Resolution } from './contact.types';
import { LineRoutingRepository } from './line-routing.repository';
import { cancelExpiry } from './offer.service';
import { releaseSlot, traceEntry } from './slot-release';

export const JOB_WRAP_UP_END = 'agent.wrap-up-end';
const DEFAULT_HANDLE_SECONDS = 180;

const SELECT_CONTACT = `
  SELECT c.id, c.external_id, c.channel, c.line, c.customer_id, c.from_address, c.ivr, c.priority, c.status, c.end_reason,
         c.sticky_agent_id, c.offered_agent_id, c.agent_id, c.work_open, c.announcement, c.enqueued_at, c.routing_trace, cu.known
  FROM contacts c JOIN customers cu ON cu.id = c.customer_id`;

/**
 * A contact from arrival to completion: intake (idempotent on the provider's call id), hang-up, completion with
 * resolution and notes. Routing itself is the dispatcher's; this service changes state and asks for a pass.
 */
@Injectable()
export class ContactLifecycleService {
  private readonly logger = new Logger(ContactLifecycleService.name);
  private readonly lineStatsCache = new Map<Line, { handleSeconds: number; agents: number; until: number }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly customers: CustomerRepository,
    private readonly rules: LineRoutingRepository,
    private readonly dispatcher: ContactDispatcher,
    private readonly scheduler: DurableScheduler,
    private readonly bus: EventBus,
  ) {
    scheduler.register(JOB_WRAP_UP_END, async (job) => {
      for (const line of (job.payload.lines as Line[]) ?? []) await this.dispatcher.dispatch(line);
    });
  }

  /**
   * A call reached a line. Durable before it returns; the same callId again (even concurrently) returns the same
   * contact with `created: false`: the unique (channel, external_id) constraint decides, not a read-then-write.
   */
  async receiveCall(line: Line, call: IncomingCall): Promise<{ created: boolean; view: CallView }> {
    // No look-up first: the insert's ON CONFLICT decides, and a repeat is the rare case.
    const outcome = await inTransaction(this.dataSource, async (tx) => {
      const caller = await this.customers.identifyByPhone(tx, call.from);
      const rules = await this.rules.get(line, tx);
      const { skills, priority } = requiredSkillsFor(rules, call.ivr?.intent);
      const sticky =
        rules.sticky.enabled && !caller.created
          ? await this.lastAgent(tx, caller.customerId, line, rules.sticky.horizonDays)
          : undefined;
      const trace = sticky
        ? `arrived; customer last dealt with agent ${sticky} on ${line}: offered to them first`
        : `arrived; ${caller.known ? 'known' : 'unknown'} customer, no recent agent on ${line}`;
      const inserted = await one<{ id: string; enqueued_at: Date }>(
        tx,
        `INSERT INTO contacts (external_id, channel, line, customer_id, from_address, to_address, ivr, priority, required_skills,
                               status, sticky_agent_id, sticky_cause, routing_trace)
         VALUES ($1, 'voice', $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11)
         ON CONFLICT ON CONSTRAINT contacts_external_unique DO NOTHING RETURNING id, enqueued_at`,
        [
          call.callId,
          line,
          caller.customerId,
          call.from,
          call.to,
          call.ivr ? JSON.stringify(call.ivr) : null,
          priority,
          JSON.stringify(skills),
          sticky ?? null,
          sticky ? 'last_agent' : null,
          traceEntry(trace),
        ],
      );
      if (!inserted) {
        // lost the race to a concurrent duplicate: drop the provisional customer we may have made for it
        if (caller.created)
          await tx.query(
            `DELETE FROM customers c WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM contacts WHERE customer_id = c.id)`,
            [caller.customerId],
          );
        return undefined;
      }
      if (sticky && rules.sticky.waitSeconds > 0) {
        const until = new Date(inserted.enqueued_at.getTime() + rules.sticky.waitSeconds * 1000);
        await this.scheduler.schedule(
          tx,
          JOB_STICKY_WAIT,
          until,
          { line },
          `${inserted.id}@${until.getTime()}`,
        );
      }
      return inserted.id;
    });

    if (!outcome) {
      const winner = await this.findByCallId(call.callId);
      return { created: false, view: await this.view(winner!) };
    }
    this.logger.log({ line, contactId: outcome }, 'call queued');
    await this.bus.publish({ type: 'queue.changed', lines: [line] });
    this.dispatcher.request(line);
    const row = await this.getRow(outcome);
    return { created: true, view: await this.view(row) };
  }

  async getCall(callId: string): Promise<CallView> {
    const row = await this.findByCallId(callId);
    if (!row) throw new NotFoundError('Call', callId);
    return this.view(row);
  }

  /** The caller hung up: a waiting contact is abandoned, a pending offer revoked, a connected call ends. */
  async hangup(callId: string): Promise<CallView> {
    const outcome = await inTransaction(this.dataSource, async (tx) => {
      const row = await one<ContactRow>(
        tx,
        `${SELECT_CONTACT} WHERE c.channel = 'voice' AND c.external_id = $1 FOR UPDATE OF c`,
        [callId],
      );
      if (!row) throw new NotFoundError('Call', callId);
      if (row.status === 'ended') return { row, revoked: undefined };
      let revoked: { id: string; agent_id: string } | undefined;
      if (row.status === 'offered') {
        revoked = await one<{ id: string; agent_id: string; channel: string }>(
          tx,
          `UPDATE offers SET state = 'revoked', end_reason = 'caller_hung_up', resolved_at = now()
           WHERE contact_id = $1 AND state = 'pending' RETURNING id, agent_id, channel`,
          [row.id],
        );
        if (revoked) {
          await releaseSlot(tx, revoked.agent_id, row.channel);
          await cancelExpiry(tx, revoked.id);
        }
      }
      const endReason = row.status === 'connected' ? 'caller_hung_up' : 'abandoned';
      await tx.query(
        `UPDATE contacts SET status = 'ended', end_reason = $2, ended_at = now(), offered_agent_id = NULL,
                routing_trace = routing_trace || $3::jsonb WHERE id = $1`,
        [row.id, endReason, traceEntry(`caller hung up while ${row.status}`)],
      );
      return { row, revoked };
    });
    const { row, revoked } = outcome;
    if (row.status !== 'ended')
      this.logger.log({ line: row.line, contactId: row.id, was: row.status }, 'caller hung up');
    if (revoked) {
      await this.bus.publish({
        type: 'offer.revoked',
        agentId: revoked.agent_id,
        offerId: revoked.id,
        contactId: row.id,
        reason: 'caller_hung_up',
      });
      this.dispatcher.request(row.line);
    }
    if (row.status === 'queued') await this.bus.publish({ type: 'queue.changed', lines: [row.line] });
    if (row.status === 'connected' && row.agent_id) {
      await this.bus.publish({
        type: 'contact.ended',
        agentId: row.agent_id,
        contactId: row.id,
        reason: 'caller_hung_up',
      });
    }
    return this.view(await this.getRow(row.id));
  }

  /** The platform reports the call was answered (bridged): recorded, no routing effect. */
  async answered(callId: string): Promise<CallView> {
    const row = await this.findByCallId(callId);
    if (!row) throw new NotFoundError('Call', callId);
    await this.dataSource.query(
      `UPDATE contacts SET answered_at = COALESCE(answered_at, now()) WHERE id = $1`,
      [row.id],
    );
    return this.view(row);
  }

  /** The agent finished their work on the contact: history gets resolution and notes, the agent is freed (after wrap-up). */
  async complete(
    agentId: string,
    contactId: string,
    resolution: Resolution,
    notes?: string,
  ): Promise<{ contactId: string; wrapUpUntil: string | null }> {
    const outcome = await inTransaction(this.dataSource, async (tx) => {
      const row = /^[0-9a-f-]{36}$/i.test(contactId)
        ? await one<ContactRow & { completed: boolean }>(
            tx,
            `${SELECT_CONTACT.replace('cu.known', 'cu.known, c.completed_at IS NOT NULL AS completed')} WHERE c.id = $1 FOR UPDATE OF c`,
            [contactId],
          )
        : undefined;
      if (!row || row.agent_id !== agentId) throw new ContactNotAssignedToAgent(contactId);
      if (!row.work_open) throw new ContactAlreadyCompleted(contactId);
      await tx.query(
        `UPDATE contacts SET work_open = false, resolution = $2, notes = $3, completed_at = now(), status = 'ended',
                ended_at = COALESCE(ended_at, now()), end_reason = COALESCE(end_reason, 'completed'),
                routing_trace = routing_trace || $4::jsonb
         WHERE id = $1`,
        [contactId, resolution, notes ?? null, traceEntry(`completed by ${agentId}: ${resolution}`)],
      );
      await releaseSlot(tx, agentId, row.channel);
      const rules = await this.rules.get(row.line, tx);
      const wrap = await one<{ wrap_up_until: Date | null }>(
        tx,
        `UPDATE agent_presence SET
            wrap_up_until = CASE WHEN $2 > 0 THEN now() + make_interval(secs => $2) ELSE NULL END,
            idle_since = now() + make_interval(secs => $2)
         WHERE agent_id = $1 RETURNING wrap_up_until`,
        [agentId, rules.wrapUpSeconds],
      );
      const lines = (await one<{ lines: Line[] }>(tx, `SELECT lines FROM agents WHERE id = $1`, [agentId]))
        ?.lines ?? [row.line];
      if (wrap?.wrap_up_until)
        await this.scheduler.schedule(
          tx,
          JOB_WRAP_UP_END,
          wrap.wrap_up_until,
          { lines },
          `${agentId}@${wrap.wrap_up_until.getTime()}`,
        );
      return { row, lines, wrapUpUntil: wrap?.wrap_up_until ?? null };
    });
    this.logger.log({ line: outcome.row.line, contactId, agentId, resolution }, 'contact completed');
    if (outcome.wrapUpUntil) this.scheduler.wake(outcome.wrapUpUntil);
    for (const line of outcome.lines) this.dispatcher.request(line);
    return { contactId, wrapUpUntil: outcome.wrapUpUntil?.toISOString() ?? null };
  }

  private async lastAgent(
    tx: EntityManager,
    customerId: string,
    line: Line,
    horizonDays: number,
  ): Promise<string | undefined> {
    const row = await one<{ agent_id: string }>(
      tx,
      `SELECT c.agent_id FROM contacts c JOIN agents a ON a.id = c.agent_id AND a.deleted_at IS NULL
       WHERE c.customer_id = $1 AND c.line = $2 AND c.agent_id IS NOT NULL AND c.connected_at > now() - make_interval(days => $3)
       ORDER BY c.connected_at DESC LIMIT 1`,
      [customerId, line, horizonDays],
    );
    return row?.agent_id;
  }

  /**
   * For the wait estimate: the mean handle time of the line's last 50 completed contacts and how many agents are
   * signed in on it, recomputed at most every 5 s per process (they move slowly; the webhook is the hot path).
   */
  private async lineStats(line: Line): Promise<{ handleSeconds: number; agents: number }> {
    const cached = this.lineStatsCache.get(line);
    if (cached && cached.until > Date.now()) return cached;
    const row = await one<{ handle: number | null; agents: number }>(
      this.dataSource.manager,
      `SELECT
         (SELECT avg(EXTRACT(EPOCH FROM completed_at - connected_at))::float FROM
            (SELECT completed_at, connected_at FROM contacts WHERE line = $1 AND completed_at IS NOT NULL AND connected_at IS NOT NULL
             ORDER BY completed_at DESC LIMIT 50) recent) AS handle,
         (SELECT count(*)::int FROM agents a JOIN agent_presence p ON p.agent_id = a.id
            WHERE a.deleted_at IS NULL AND a.lines @> ARRAY[$1]::text[] AND p.state <> 'offline') AS agents`,
      [line],
    );
    const stats = {
      handleSeconds: row?.handle ?? DEFAULT_HANDLE_SECONDS,
      agents: row?.agents ?? 0,
      until: Date.now() + 5_000,
    };
    this.lineStatsCache.set(line, stats);
    return stats;
  }

  private findByCallId(callId: string): Promise<ContactRow | undefined> {
    return one<ContactRow>(
      this.dataSource.manager,
      `${SELECT_CONTACT} WHERE c.channel = 'voice' AND c.external_id = $1`,
      [callId],
    );
  }

  private async getRow(id: string): Promise<ContactRow> {
    const row = await one<ContactRow>(this.dataSource.manager, `${SELECT_CONTACT} WHERE c.id = $1`, [id]);
    if (!row) throw new NotFoundError('Contact', id);
    return row;
  }

  private async view(row: ContactRow): Promise<CallView> {
    let queuePosition: number | null = null;
    let estimatedWaitSeconds: number | null = null;
    if (row.status === 'queued') {
      const stats = await one<{ ahead: number }>(
        this.dataSource.manager,
        `SELECT count(*)::int AS ahead FROM contacts q WHERE q.line = $1 AND q.status = 'queued'
           AND (q.priority > $2 OR (q.priority = $2 AND (q.enqueued_at, q.id) < ($3, $4)))`,
        [row.line, row.priority, row.enqueued_at, row.id],
      );
      queuePosition = (stats?.ahead ?? 0) + 1;
      const { handleSeconds, agents } = await this.lineStats(row.line);
      estimatedWaitSeconds = Math.round((queuePosition * handleSeconds) / Math.max(1, agents));
    }
    return {
      contactId: row.id,
      callId: row.external_id,
      line: row.line,
      channel: row.channel,
      status: row.status,
      customer: { id: row.customer_id, known: row.known },
      announcement: row.announcement,
      queuePosition,
      estimatedWaitSeconds,
      ...(row.agent_id ? { agent: { id: row.agent_id } } : {}),
      endReason: row.end_reason,
      routingTrace: row.routing_trace,
    };
  }
}
