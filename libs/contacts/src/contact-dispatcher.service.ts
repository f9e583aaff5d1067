import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { LineDirectory, lineLockKey } from '@tether/lines';
import { scrubText, TetherMetrics } from '@tether/observability';
import { inTransaction, lastRows, one, prepared } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import { AgentCandidate, Line, RoutingEngine, RoutingRules, WaitingContact } from '@tether/routing';
import { DueJob, DurableScheduler, JOB_KINDS, OnJob } from '@tether/scheduler';
import { announceReturnedTransfer, ReturnedTransfer, returnTransfer } from './transfer-return';
import { ContactTrace } from './contact-trace';
import { LineRoutingRepository } from './line-routing.repository';
import { OfferExpiryClock } from './offer-expiry.clock';
import { AppliedStageEnd, applyStageEnds, dueStageEnds } from './stage-end';
import type { RoutingSnapshot } from './routing-snapshot.types';

/**
 * An offer a routing pass committed. Its payload (contact, customer card) is not read here: the event announcing it
 * carries ids only, and the agent's gateway reads the payload (`OfferPayloadBuilder.buildPending`).
 */
interface CommittedOfferRow {
  offer_id: string;
  agent_id: string;
  contact_id: string;
  expires_at: Date;
}

/**
 * How many waiting contacts a pass reads (in service order); when it placed them all and more wait, another pass
 * follows at once. How many ready agents it reads is the engine's to say (`RoutingEngine.readyAgentsToRead`).
 */
export const CONTACTS_PER_PASS = 200;
/** A failed pass is tried again this soon (the sweep would take up to `TETHER_SWEEP_MS`). */
const PASS_RETRY_AFTER_FAILURE_MS = 200;

/**
 * Feeds the routing engine and commits its decisions. A pass for a line runs under that line's advisory lock, reads
 * the waiting contacts and the line's free agents (`tether_routing_snapshot`), lets `RoutingEngine` decide, and
 * writes every offer at once (`tether_commit_offers`) with conditional updates (contact still queued, agent slot
 * still free), so a decision that raced another line or a hang-up is dropped rather than double-booked. Requests are
 * coalesced per line: a burst of triggers becomes one or two passes, and a pass costs two round trips however many
 * contacts it places (TetherPgClient's pipeline mode: BEGIN written with the snapshot, the commit with COMMIT; four
 * with TETHER_DB_PIPELINE=false).
 */
@Injectable()
export class ContactDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ContactDispatcher.name);
  private readonly engine = new RoutingEngine();
  private readonly running = new Map<Line, Promise<void>>();
  private readonly again = new Set<Line>();
  private sweepTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly rules: LineRoutingRepository,
    private readonly bus: EventBus,
    private readonly scheduler: DurableScheduler,
    private readonly offerExpiry: OfferExpiryClock,
    private readonly lines: LineDirectory,
    // optional: a module built without the core's metrics (a spec) routes the same
    @Optional() private readonly metrics?: TetherMetrics,
  ) {}

  /**
   * A contact's hold for its preferred agent ended: the line is routed again, now open to everyone eligible.
   * The job asks for the pass and is done: waiting for it would hold the job's lease for as long as the line's lock
   * is held elsewhere (up to the idle-in-transaction timeout behind an instance cut off mid-pass), past the lease,
   * and the job would be claimed and run twice. Should this process die before the pass, the sweep runs one.
   */
  @OnJob('routing.sticky-wait')
  holdEnded(job: DueJob<'routing.sticky-wait'>): Promise<void> {
    this.request(job.payload.line);
    return Promise.resolve();
  }

  onApplicationBootstrap(): void {
    // The safety net: whatever trigger was lost (a crash between commit and request), a pass per line comes soon.
    this.sweepTimer = setInterval(() => this.requestAll(), this.config.sweepMs);
    this.sweepTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.running.values()]);
  }

  /** A pass for every defined line (the sweep; a change that may concern any line). */
  requestAll(): void {
    void this.lines.names().then(
      (lines) => lines.forEach((line) => this.request(line)),
      (error: Error) => this.logger.error(`reading the lines failed: ${scrubText(error.message)}`),
    );
  }

  /**
   * Start-up warm-up inside a transaction the caller rolls back (`warmPool`): the pass's snapshot statement (it takes
   * the line's lock until the rollback) and the engine's decision on it; nothing is committed or published.
   */
  async warmUp(tx: EntityManager, line: Line): Promise<void> {
    const rules = await this.rules.cached(line);
    const snapshot = await this.snapshot(tx, line, false);
    this.engine.decide({ line, now: new Date(snapshot.now), rules, ...toEngineInput(line, snapshot) });
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
        if (this.stopped) return;
        this.logger.error({ line }, `routing pass failed: ${scrubText((error as Error).message)}`);
        // most often the database went away (a dropped connection fails the first pass after it is back): look
        // again soon rather than at the next sweep, so the waiting contacts are offered as soon as it answers
        setTimeout(() => this.request(line), PASS_RETRY_AFTER_FAILURE_MS).unref();
      }
    } while (this.again.has(line) && !this.stopped);
  }

  private async pass(line: Line): Promise<void> {
    const { made, returned, observed, stageEnds } = await inTransaction(this.dataSource, (tx) =>
      this.decideAndCommit(tx, line),
    );
    this.observe(line, observed);
    if (stageEnds !== undefined && stageEnds.length > 0) await this.announceStageEnds(line, stageEnds);
    for (const back of returned) {
      this.logger.log({ line, contactId: back.contactId, transferId: back.transferId }, 'transfer came back');
      await announceReturnedTransfer(this.bus, back);
      this.request(back.line);
    }
    if (made.length === 0) return;
    this.offerExpiry.expectAt(new Date(Math.min(...made.map((m) => m.expires_at.getTime()))));
    for (const row of made) {
      this.logger.log(
        { line, contactId: row.contact_id, agentId: row.agent_id, offerId: row.offer_id },
        'offered',
      );
    }
    // ids only on the bus: no name, number or note crosses Redis
    await Promise.all(
      made.map((row) =>
        this.bus.publish({ type: 'offer.created', agentId: row.agent_id, offerId: row.offer_id }),
      ),
    );
    await this.bus.publish({ type: 'queue.changed', lines: [line] });
  }

  private async decideAndCommit(
    tx: EntityManager,
    line: Line,
  ): Promise<{
    made: CommittedOfferRow[];
    returned: ReturnedTransfer[];
    observed?: PassFigures;
    stageEnds?: AppliedStageEnd[];
  }> {
    let rules = await this.rules.cached(line);
    let snapshot = await this.snapshot(tx, line, false);
    if (snapshot.version !== rules.version) rules = await this.rules.load(line, tx);
    if (snapshot.contacts.length === 0) return { made: [], returned: [] };
    // the database's clock, not this process's: every instance decides on the same time
    const now = new Date(snapshot.now);
    // contacts whose rule's last stage ended: its action first (an overflowed contact is no longer this line's)
    const due = dueStageEnds(snapshot, now);
    const stageEnds =
      due.length === 0
        ? []
        : await applyStageEnds(tx, line, due, now, (other) => this.rules.cached(other), {
            callbackUrl: this.config.telephonyCallbackUrl ?? null,
            channelDelivery: this.config.channelUrl !== undefined,
          });
    const moved = new Set(stageEnds.filter((s) => s.action === 'line').map((s) => s.contactId));
    if (moved.size > 0) snapshot = withoutContacts(snapshot, moved);
    const decided = await this.decideOn(tx, line, rules, snapshot, now);
    return { ...decided, stageEnds };
  }

  /**
   * After the commit: the lines overflowed contacts now wait on are routed, supervisors see both queues change, and
   * the platform's callbacks (and automatic replies) written with the actions are delivered (their jobs are due).
   */
  private async announceStageEnds(line: Line, applied: AppliedStageEnd[]): Promise<void> {
    const lines = new Set<Line>([line]);
    for (const end of applied) {
      this.logger.log(
        { line, contactId: end.contactId, action: end.action, to: end.toLine },
        'stage end action',
      );
      if (end.toLine !== null) lines.add(end.toLine);
    }
    this.scheduler.wake(new Date());
    await this.bus.publish({ type: 'queue.changed', lines: [...lines] });
    for (const other of lines) if (other !== line) this.request(other);
  }

  private async decideOn(
    tx: EntityManager,
    line: Line,
    rules: Awaited<ReturnType<LineRoutingRepository['cached']>>,
    initial: RoutingSnapshot,
    now: Date,
  ): Promise<{ made: CommittedOfferRow[]; returned: ReturnedTransfer[]; observed?: PassFigures }> {
    let snapshot = initial;
    if (snapshot.contacts.length === 0) return { made: [], returned: [] };
    let result = this.engine.decide({ line, now, rules, ...toEngineInput(line, snapshot) });
    if (result.needsAllAgents) {
      // the engine's bound on the agents it needs did not hold for this queue: decide again with every one
      snapshot = await this.snapshot(tx, line, true);
      // read after this pass's stage end actions: an overflowed contact is on its new line's queue already
      result = this.engine.decide({ line, now, rules, ...toEngineInput(line, snapshot) });
    }
    // transfers to a named agent who cannot take them go back to whoever made them, in this transaction
    const returned: ReturnedTransfer[] = [];
    for (const back of result.returned) {
      const transferId = snapshot.contacts.find((c) => c.id === back.contactId)?.transfer?.id;
      const done = transferId ? await returnTransfer(tx, transferId, back.reason) : undefined;
      if (done) returned.push(done);
    }
    // a pass at the end of each hold, and of each stage a waiting contact is in (its target widens then)
    const wakeUps = [
      ...result.holds.map((h) => ({ contactId: h.contactId, until: h.until })),
      ...result.stageEnds,
    ];
    if (result.assignments.length === 0 && wakeUps.length === 0) return { made: [], returned };

    // the transaction's last statement: its COMMIT goes out with it (one round trip for both)
    const made = await lastRows<CommittedOfferRow>(
      tx,
      prepared(`SELECT * FROM tether_commit_offers($1, $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7, $8,
                                          $9::text[], $10::timestamptz[], $11::jsonb, $12::jsonb)`),
      [
        line,
        result.assignments.map((a) => a.contactId),
        result.assignments.map((a) => a.agentId),
        result.assignments.map((a) => a.reason),
        result.assignments.map((a) => a.trace),
        result.assignments.map((a) => ContactTrace.offered(a.agentId, a.trace)),
        rules.offerTimeoutSeconds,
        JOB_KINDS.preferredAgentHoldEnds,
        wakeUps.map((h) => holdKey(h.contactId, h.until)),
        wakeUps.map((h) => h.until),
        channelTimeouts(rules),
        rules.crossChannel ? JSON.stringify(rules.crossChannel) : null,
      ],
    );
    // dropped decisions (another line's pass took the agent's last slot, the caller hung up), or more contacts
    // waiting than this pass read while it still found agents for them: look again
    if (made.length < result.assignments.length) this.again.add(line);
    if (snapshot.contactLimitReached && made.length > 0) this.again.add(line);
    if (wakeUps.length > 0) this.scheduler.wake(new Date(Math.min(...wakeUps.map((h) => h.until.getTime()))));
    return { made, returned, observed: passFigures(snapshot, now, result, made) };
  }

  /** The committed pass's figures into TetherMetrics (after the commit: a rolled-back pass decided nothing). */
  private observe(line: Line, figures: PassFigures | undefined): void {
    if (!this.metrics || !figures) return;
    if (figures.holds > 0) this.metrics.routingDecisions.inc({ line, outcome: 'hold' }, figures.holds);
    for (const offer of figures.offers) {
      this.metrics.routingDecisions.inc({ line, outcome: 'offer' });
      this.metrics.offersMade.inc({ line, reason: offer.reason });
      if (offer.firstOfferAfterSeconds !== undefined)
        this.metrics.webhookToOffer.observe({ line }, offer.firstOfferAfterSeconds);
    }
  }

  private async snapshot(tx: EntityManager, line: Line, allReady: boolean): Promise<RoutingSnapshot> {
    const row = await one<{ snapshot: RoutingSnapshot }>(
      tx,
      prepared(`SELECT tether_routing_snapshot($1, $2, $3, $4, $5, $6) AS snapshot`),
      [
        line,
        lineLockKey(line),
        CONTACTS_PER_PASS,
        RoutingEngine.READY_AGENTS_PER_CONTACT,
        RoutingEngine.MIN_READY_AGENTS,
        allReady,
      ],
    );
    return row!.snapshot;
  }
}

/** What a committed pass did, for the metrics: its offers (why; for a first offer, how long after arrival) and holds. */
interface PassFigures {
  offers: { reason: string; firstOfferAfterSeconds?: number }[];
  holds: number;
}

function passFigures(
  snapshot: RoutingSnapshot,
  now: Date,
  result: { assignments: { contactId: string; reason: string }[]; holds: unknown[] },
  made: CommittedOfferRow[],
): PassFigures {
  const committed = new Set(made.map((m) => m.contact_id));
  const contacts = new Map(snapshot.contacts.map((c) => [c.id, c]));
  return {
    holds: result.holds.length,
    offers: result.assignments
      .filter((a) => committed.has(a.contactId))
      .map((a) => {
        const contact = contacts.get(a.contactId);
        // a first offer: nobody declined or let it expire yet, and not a transfer (both waited for other reasons)
        const first = contact && contact.excludedAgentIds.length === 0 && !contact.transfer;
        return {
          reason: a.reason,
          firstOfferAfterSeconds: first
            ? Math.max(0, (now.getTime() - new Date(contact.enqueuedAt).getTime()) / 1000)
            : undefined,
        };
      }),
  };
}

/** The snapshot without these contacts (moved to another line by a stage end action in this pass). */
function withoutContacts(snapshot: RoutingSnapshot, ids: ReadonlySet<string>): RoutingSnapshot {
  return { ...snapshot, contacts: snapshot.contacts.filter((c) => !ids.has(c.id)) };
}

/** One hold timer per contact and end time: a later pass that holds the same contact until then adds nothing. */
function holdKey(contactId: string, until: Date): string {
  return `${contactId}@${until.getTime()}`;
}

/** A snapshot as the engine's input: the one conversion, shared by the dispatcher and the simulator. */
export function toEngineInput(
  line: Line,
  snapshot: RoutingSnapshot,
): { contacts: WaitingContact[]; agents: AgentCandidate[]; agentsComplete: boolean } {
  return {
    agents: snapshot.agents.map(toEngineAgent),
    agentsComplete: snapshot.agentsComplete,
    contacts: snapshot.contacts.map((c) => toEngineContact(line, c)),
  };
}

/** An agent's facts as a snapshot row carries them (the supervisors' live view reads the same). */
export interface AgentFactsRow {
  id: string;
  state: AgentCandidate['presence'];
  connected: boolean;
  lines: Line[];
  skills: AgentCandidate['skills'];
  capacity: AgentCandidate['capacity'];
  load: AgentCandidate['load'];
  idleSince: string;
  wrapUpUntil: string | null;
  team: string | null;
}

/** A waiting contact's facts as a snapshot row carries them (the supervisors' live view reads the same). */
export interface ContactFactsRow {
  id: string;
  channel: WaitingContact['channel'];
  priority: number;
  enqueuedAt: string;
  requiredSkills: WaitingContact['requiredSkills'];
  lastAgentId: string | null;
  lastAgentAt: string | null;
  case: { id: string; ownerId: string | null; deputyId: string | null; team: string | null } | null;
  transfer: { kind: 'agent' | 'line' | 'case_owner'; agentId: string | null } | null;
  excludedAgentIds: string[];
  plan?: WaitingContact['plan'];
}

/** One agent row as the engine's candidate. */
export function toEngineAgent(a: AgentFactsRow): AgentCandidate {
  return {
    id: a.id,
    presence: a.state,
    connected: a.connected,
    lines: a.lines,
    skills: a.skills,
    capacity: a.capacity,
    load: a.load,
    idleSince: new Date(a.idleSince),
    wrapUpUntil: a.wrapUpUntil ? new Date(a.wrapUpUntil) : null,
    team: a.team,
  };
}

/** One contact row as the engine's waiting contact on `line`. */
export function toEngineContact(line: Line, c: ContactFactsRow): WaitingContact {
  return {
    id: c.id,
    line,
    channel: c.channel,
    priority: c.priority,
    enqueuedAt: new Date(c.enqueuedAt),
    requiredSkills: c.requiredSkills,
    relations: {
      lastAgent:
        c.lastAgentId && c.lastAgentAt
          ? { agentId: c.lastAgentId, connectedAt: new Date(c.lastAgentAt) }
          : null,
      caseOwnerId: c.case?.ownerId ?? null,
      caseId: c.case?.id ?? null,
      caseDeputyId: c.case?.deputyId ?? null,
      caseTeam: c.case?.team ?? null,
      transfer: c.transfer ? { kind: c.transfer.kind, agentId: c.transfer.agentId } : null,
    },
    excludedAgentIds: c.excludedAgentIds,
    plan: c.plan ?? null,
  };
}

/** The line's per-channel offer timeouts (channel -> seconds) for tether_commit_offers; null when none is set. */
function channelTimeouts(rules: RoutingRules): string | null {
  const timeouts = Object.entries(rules.channels ?? {}).filter(
    ([, settings]) => settings?.offerTimeoutSeconds !== undefined,
  );
  if (timeouts.length === 0) return null;
  return JSON.stringify(Object.fromEntries(timeouts.map(([channel, s]) => [channel, s.offerTimeoutSeconds])));
}
