import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { scrubText } from '@tether/observability';
import { inTransaction, one, rows } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import {
  AgentCandidate,
  Channel,
  LINES,
  Line,
  OfferReason,
  PresenceState,
  RoutingEngine,
  StickyCause,
  WaitingContact,
} from '@tether/routing';
import { DurableScheduler } from '@tether/scheduler';
import { LineRoutingRepository } from './line-routing.repository';
import { OfferPayloadBuilder } from './offer-payload.builder';

export const JOB_STICKY_WAIT = 'routing.sticky-wait';
export const JOB_OFFER_EXPIRE = 'offer.expire';

interface MadeOffer {
  offerId: string;
  agentId: string;
  contactId: string;
  expiresAt: Date;
}

const SELECT_AGENT_CANDIDATES = `
  SELECT a.id, a.lines, a.skills, a.capacity, p.state, p.idle_since, p.wrap_up_until,
         EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = a.id) AS connected,
         COALESCE((SELECT jsonb_object_agg(s.channel, s.used) FROM agent_slots s WHERE s.agent_id = a.id), '{}'::jsonb) AS load
  FROM agents a JOIN agent_presence p ON p.agent_id = a.id
  WHERE a.deleted_at IS NULL AND p.state <> 'offline'`;
/** agents who could take a contact of the line right now: available, connected, out of wrap-up, a slot free */
const FREE_AGENTS_OF_LINE = `
  AND a.lines @> ARRAY[$1]::text[] AND p.state = 'available' AND (p.wrap_up_until IS NULL OR p.wrap_up_until <= now())
  AND EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = a.id)
  AND EXISTS (SELECT 1 FROM agent_slots s WHERE s.agent_id = a.id AND s.used < s.capacity)`;
const AGENTS_BY_ID = `AND a.id = ANY($1::uuid[])`;

const RUNNING_PASSES = new Map<Line, Promise<void>>();
const PASS_REQUESTED = new Set<Line>();
const SWEEPING = new Set<string>();

/** Line-scoped advisory lock keys: one routing pass per line at a time across every instance. */
const LINE_LOCK: Record<Line, number> = {
  sales: 7_246_318_101,
  presales: 7_246_318_102,
  service: 7_246_318_103,
};

/**
 * Feeds the routing engine and commits its decisions. A pass for a line runs under that line's advisory lock, reads
 * the waiting contacts and the line's agents, lets `RoutingEngine` decide, and writes each offer with conditional
 * updates (contact still queued, agent slot still free) so a decision that raced another line or a hang-up is dropped
 * rather than double-booked. Requests are coalesced per line: a burst of triggers becomes one or two passes.
 */
@Injectable()
export class ContactDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ContactDispatcher.name);
  private readonly engine = new RoutingEngine();
  // Process-wide, not per instance: `npm start` runs five apps (five dispatchers) in one process, and they should
  // coalesce into one pass per line rather than queue on the line's advisory lock.
  private readonly running = RUNNING_PASSES;
  private readonly again = PASS_REQUESTED;
  private sweepTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly rules: LineRoutingRepository,
    private readonly bus: EventBus,
    private readonly scheduler: DurableScheduler,
    private readonly payloads: OfferPayloadBuilder,
  ) {
    this.scheduler.register(JOB_STICKY_WAIT, async (job) => {
      await this.dispatch(job.payload.line as Line);
    });
  }

  onApplicationBootstrap(): void {
    // The safety net: whatever trigger was lost (a crash between commit and request), a pass per line comes soon.
    // One sweep per process identity (npm start runs five apps in one process).
    if (SWEEPING.has(this.config.instanceId)) return;
    SWEEPING.add(this.config.instanceId);
    this.sweepTimer = setInterval(() => this.requestAll(), this.config.sweepMs);
    this.sweepTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) {
      clearInterval(this.sweepTimer);
      SWEEPING.delete(this.config.instanceId);
    }
    await Promise.allSettled([...this.running.values()]);
  }

  requestAll(): void {
    for (const line of LINES) this.request(line);
  }

  /** Fire and forget: a pass for this line will start after this call. */
  request(line: Line): void {
    void this.dispatch(line);
  }

  /** Resolves once a pass that started after this call has finished. */
  async dispatch(line: Line): Promise<void> {
    if (this.stopped) return;
    const current = this.running.get(line);
    if (current) {
      this.again.add(line);
      await current;
      // the loop below ran (or is running) one more pass for us
      const next = this.running.get(line);
      if (next) await next;
      return;
    }
    const loop = this.loop(line).finally(() => this.running.delete(line));
    this.running.set(line, loop);
    await loop;
  }

  private async loop(line: Line): Promise<void> {
    do {
      this.again.delete(line);
      try {
        await this.pass(line);
      } catch (error) {
        if (!this.stopped)
          this.logger.error({ line }, `routing pass failed: ${scrubText((error as Error).message)}`);
      }
    } while (this.again.has(line) && !this.stopped);
  }

  private async pass(line: Line): Promise<void> {
    const made = await inTransaction(this.dataSource, (tx) => this.decideAndCommit(tx, line));
    if (made.length === 0) return;
    this.scheduler.wake(new Date(Math.min(...made.map((m) => m.expiresAt.getTime()))));
    await Promise.all(
      made.map(async (offer) => {
        const payload = await this.payloads.build(offer.offerId);
        if (payload)
          await this.bus.publish({ type: 'offer.created', agentId: offer.agentId, offer: payload });
      }),
    );
    await this.bus.publish({ type: 'queue.changed', lines: [line] });
  }

  private async decideAndCommit(tx: EntityManager, line: Line): Promise<MadeOffer[]> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LINE_LOCK[line]]);
    const rules = await this.rules.get(line, tx);
    // Only free agents can take a contact; under load most agents are busy, so the pass reads few rows.
    const free = await this.loadAgents(tx, FREE_AGENTS_OF_LINE, [line]);
    if (free.length === 0) return [];
    const freeSlots = free.reduce(
      (sum, a) => sum + Object.values(a.capacity).reduce((s, c) => s + (c ?? 0), 0),
      0,
    );
    const contacts = await this.loadWaiting(tx, line, Math.max(200, freeSlots * 4));
    if (contacts.length === 0) return [];
    // The preferred agents of sticky contacts matter even when not free: signed in means "wait for them".
    const freeIds = new Set(free.map((a) => a.id));
    const stickyIds = [
      ...new Set(
        contacts.map((c) => c.preferredAgentId).filter((id): id is string => !!id && !freeIds.has(id)),
      ),
    ];
    const sticky = stickyIds.length > 0 ? await this.loadAgents(tx, AGENTS_BY_ID, [stickyIds]) : [];
    const agents = [...free, ...sticky];
    const now = new Date();

    const result = this.engine.decide({ line, now, rules, contacts, agents });
    for (const hold of result.holds) {
      await this.scheduler.schedule(
        tx,
        JOB_STICKY_WAIT,
        hold.until,
        { line },
        `${hold.contactId}@${hold.until.getTime()}`,
      );
    }
    if (result.holds.length > 0)
      this.scheduler.wake(new Date(Math.min(...result.holds.map((h) => h.until.getTime()))));

    const made: MadeOffer[] = [];
    const channelOf = new Map(contacts.map((c) => [c.id, c.channel]));
    for (const assignment of result.assignments) {
      const offer = await this.commitOffer(
        tx,
        line,
        channelOf.get(assignment.contactId)!,
        assignment,
        rules.offerTimeoutSeconds,
      );
      if (offer) made.push(offer);
    }
    for (const offer of made) {
      this.logger.log(
        { line, contactId: offer.contactId, agentId: offer.agentId, offerId: offer.offerId },
        'offered',
      );
    }
    return made;
  }

  /** Contact first, then slot, then offer: the same lock order as accept/reject/hang-up, so they cannot deadlock. */
  private async commitOffer(
    tx: EntityManager,
    line: Line,
    channel: Channel,
    assignment: { contactId: string; agentId: string; reason: OfferReason; trace: string },
    timeoutSeconds: number,
  ): Promise<MadeOffer | undefined> {
    const trace = JSON.stringify([
      { at: new Date().toISOString(), text: `offered to ${assignment.agentId}: ${assignment.trace}` },
    ]);
    const contact = await one<{ id: string }>(
      tx,
      `UPDATE contacts SET status = 'offered', offered_agent_id = $2, offered_at = now(), routing_trace = routing_trace || $3::jsonb
       WHERE id = $1 AND status = 'queued' RETURNING id`,
      [assignment.contactId, assignment.agentId, trace],
    );
    if (!contact) return undefined;
    const slot = await one(
      tx,
      `UPDATE agent_slots SET used = used + 1 WHERE agent_id = $1 AND channel = $2 AND used < capacity RETURNING used`,
      [assignment.agentId, channel],
    );
    if (!slot) {
      // another line's pass took this agent's last slot a moment ago: the contact simply waits for the next pass
      await tx.query(
        `UPDATE contacts SET status = 'queued', offered_agent_id = NULL, offered_at = NULL WHERE id = $1`,
        [assignment.contactId],
      );
      this.again.add(line);
      return undefined;
    }
    const offer = await one<{ id: string; expires_at: Date }>(
      tx,
      // clock_timestamp(), not now(): now() is the transaction's start, and waiting for the line lock must not
      // come out of the agent's window to answer
      `INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at)
       VALUES ($1, $2, $3, $4, 'pending', $5, $6, clock_timestamp(), clock_timestamp() + make_interval(secs => $7))
       RETURNING id, expires_at`,
      [
        assignment.contactId,
        assignment.agentId,
        line,
        channel,
        assignment.reason,
        assignment.trace,
        timeoutSeconds,
      ],
    );
    await this.scheduler.schedule(tx, JOB_OFFER_EXPIRE, offer!.expires_at, { offerId: offer!.id }, offer!.id);
    return {
      offerId: offer!.id,
      agentId: assignment.agentId,
      contactId: assignment.contactId,
      expiresAt: offer!.expires_at,
    };
  }

  private async loadAgents(tx: EntityManager, where: string, params: unknown[]): Promise<AgentCandidate[]> {
    const list = await rows<{
      id: string;
      lines: Line[];
      skills: Record<string, number>;
      capacity: Partial<Record<Channel, number>>;
      state: PresenceState;
      idle_since: Date;
      wrap_up_until: Date | null;
      connected: boolean;
      load: Partial<Record<Channel, number>>;
    }>(tx, `${SELECT_AGENT_CANDIDATES} ${where}`, params);
    return list.map((a) => ({
      id: a.id,
      // signed in but without a live socket (within the reconnect grace): worth waiting for, not reachable for offers
      presence: a.connected ? a.state : 'away',
      lines: a.lines,
      skills: a.skills,
      capacity: a.capacity,
      load: a.load,
      idleSince: a.idle_since,
      wrapUpUntil: a.wrap_up_until,
    }));
  }

  private async loadWaiting(tx: EntityManager, line: Line, limit: number): Promise<WaitingContact[]> {
    const list = await rows<{
      id: string;
      channel: Channel;
      priority: number;
      enqueued_at: Date;
      required_skills: Record<string, number>;
      sticky_agent_id: string | null;
      sticky_cause: StickyCause | null;
      excluded_agent_ids: string[];
    }>(
      tx,
      `SELECT id, channel, priority, enqueued_at, required_skills, sticky_agent_id, sticky_cause, excluded_agent_ids
       FROM contacts WHERE line = $1 AND status = 'queued' ORDER BY priority DESC, enqueued_at, id LIMIT $2`,
      [line, limit],
    );
    return list.map((c) => ({
      id: c.id,
      line,
      channel: c.channel,
      priority: c.priority,
      enqueuedAt: c.enqueued_at,
      requiredSkills: c.required_skills,
      preferredAgentId: c.sticky_agent_id,
      preferredCause: c.sticky_cause,
      excludedAgentIds: c.excluded_agent_ids,
    }));
  }
}
