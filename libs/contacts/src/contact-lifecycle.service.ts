import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { CaseService } from '@tether/cases';
import { normalizePhone } from '@tether/customers';
import { ConflictError, NotFoundError } from '@tether/errors';
import { inTransaction, one, prepared } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import {
  ArrivalDecision,
  CompiledRuleSet,
  ContactFacts,
  DEFAULT_ROUTING_RULES,
  Line,
  LineRedirect,
  OverflowAction,
  RoutingPlan,
} from '@tether/routing';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import { ContactDispatcher } from './contact-dispatcher.service';
import { ContactTrace } from './contact-trace';
import { customerFacts, relationsFor } from './customer-facts';
import type { CompleteContactOutcome, ReceiveCallOutcome, RememberHangupOutcome } from './sql-outcomes';
import { ContactAlreadyCompleted, ContactNotAssignedToAgent } from './contact.errors';
import { callbackView } from './callback-view';
import {
  CallView,
  ContactRow,
  ContactTraceView,
  HangupOutcome,
  IncomingCall,
  Resolution,
} from './contact.types';
import { LineRoutingRepository, VersionedRules } from './line-routing.repository';
import { releaseSlot, traceEntry } from './slot-release';

const DEFAULT_HANDLE_SECONDS = 180;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * How long a hang-up for a call this line has not seen is remembered (the contract promises at least 10 minutes):
 * a platform's webhook retries for the call itself arrive within that.
 */
export const HANGUP_MEMORY_SECONDS = 15 * 60;

const COMPLETE_CONTACT =
  prepared(`SELECT outcome, line, agent_lines, wrap_up_until, case_id, case_outcome, case_owner_id
  FROM tether_complete_contact($1, $2, $3, $4, $5, $6, $7)`);
/** the made-up caller of the warm-up's intake (a reserved fictional number; the transaction is rolled back) */
const WARM_UP_CALLER = '+12025550100';

const SELECT_CONTACT = `
  SELECT c.id, c.external_id, c.channel, c.line, c.customer_id, c.from_address, c.ivr, c.priority, c.status, c.end_reason,
         c.sticky_agent_id, c.offered_agent_id, c.agent_id, c.work_open, c.announcement, c.enqueued_at, c.routing_trace, cu.known,
         c.callback_id, c.routed_line
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
    private readonly rules: LineRoutingRepository,
    private readonly dispatcher: ContactDispatcher,
    private readonly scheduler: DurableScheduler,
    private readonly bus: EventBus,
    private readonly cases: CaseService,
  ) {}

  /**
   * An agent's wrap-up is over: they are free again on every line they serve. Asks for a pass per line and is done
   * (as `ContactDispatcher.holdEnded`, and for the same reason: a pass can wait on a line's lock past the job's lease).
   */
  @OnJob('agent.wrap-up-end')
  wrapUpEnded(job: DueJob<'agent.wrap-up-end'>): Promise<void> {
    for (const line of job.payload.lines ?? []) this.dispatcher.request(line);
    return Promise.resolve();
  }

  /**
   * A call reached a line. Durable before it returns; the same callId again on the same line (even concurrently)
   * returns the same contact with `created: false`: the call's lock in `tether_receive_call` and the unique (line,
   * channel, external_id) decide, not a read-then-write. The same callId on another line is another call.
   * One round trip: `tether_receive_call` identifies the caller, records their last agent on the line (a fact; the
   * engine decides at each pass whether it makes the contact sticky) and inserts the contact; skills and priority
   * come from this process's cached rules, checked by version there. When the caller's hang-up got here first
   * (remembered by `hangup`), the contact is recorded already ended (`created: true`, status `ended`) and nothing is
   * queued or offered.
   */
  async receiveCall(line: Line, call: IncomingCall): Promise<{ created: boolean; view: CallView }> {
    let rules = await this.rules.cached(line);
    for (let attempt = 1; ; attempt++) {
      const result = await this.intake(this.dataSource.manager, line, call, rules);
      if (result?.outcome === 'stale_rules' && attempt < 5) {
        rules = await this.rules.load(line);
        continue;
      }
      if (!result?.contact_id) throw new Error(`call intake failed (${result?.outcome ?? 'no result'})`);
      const created = result.outcome === 'created' || result.outcome === 'hung_up';
      if (result.outcome === 'hung_up') {
        this.logger.log(
          { line, contactId: result.contact_id },
          'call arrived after its hang-up: ended, not queued',
        );
      }
      const row =
        result.id && !result.changed ? (result as ContactRow) : await this.getRow(result.contact_id);
      if (created && result.outcome !== 'hung_up' && row.status === 'queued') {
        const queueLine = row.routed_line ?? line;
        this.logger.log({ line: queueLine, contactId: result.contact_id }, 'call queued');
        await this.bus.publish({ type: 'queue.changed', lines: [queueLine] });
        this.dispatcher.request(queueLine);
      }
      return { created, view: await this.view(row) };
    }
  }

  /**
   * Start-up warm-up on one pooled connection, inside a transaction the caller rolls back (`warmPool`): the intake
   * of a made-up call on `line` (its statement, the PL/pgSQL functions it runs, the customer look-up), the wait
   * estimate's statement, and a completion that finds nothing to complete. Nothing is published or requested.
   */
  async warmUp(tx: EntityManager, line: Line): Promise<void> {
    const rules = await this.rules.cached(line);
    await this.intake(
      tx,
      line,
      { callId: `tether-warm-up-${randomUUID()}`, from: WARM_UP_CALLER, to: WARM_UP_CALLER },
      rules,
    );
    await this.queryLineStats(tx, line);
    await tx.query(COMPLETE_CONTACT, [randomUUID(), randomUUID(), 'resolved', null, 0, null, null]);
  }

  /**
   * The intake: the line's rules decide priority, skills, stages and announcement (`CompiledRuleSet`, compiled once
   * per version; the customer's facts are read first only when a rule asks about customers). Without rules, one
   * statement: the intake, then (lateral, so after it) the row the answer is built from. A rule's stages and
   * announcement are written to the contact in the same transaction, so no pass ever sees it without them.
   */
  private async intake(
    manager: EntityManager,
    line: Line,
    call: IncomingCall,
    rules: VersionedRules,
  ): Promise<
    | (Partial<ContactRow> & { outcome: ReceiveCallOutcome; contact_id: string | null; changed?: boolean })
    | undefined
  > {
    const compiled = CompiledRuleSet.for(rules);
    const customer = compiled.needsCustomer ? await customerFacts(manager, line, call.from) : null;
    const facts: ContactFacts = {
      channel: 'voice',
      ivr: call.ivr ?? null,
      from: normalizePhone(call.from),
      at: new Date(),
      customer,
    };
    const decided = compiled.decide(facts);
    // a call is not held overnight: holdUntilOpen offers it a callback at once (the IVR asks for a window from the
    // opening), as offerCallback does
    const decision = { ...decided, offerCallback: decided.offerCallback || decided.holdUntil !== null };
    const neverMatched = compiled.neverMatchedWith(customer);
    if (
      decision.plan === null &&
      decision.announcement === null &&
      neverMatched.length === 0 &&
      decision.redirect === null &&
      decision.queueLimit === null &&
      !decision.offerCallback
    )
      return this.receive(manager, line, call, facts.from, rules, decision);
    const write = async (tx: EntityManager) => {
      const result = await this.receive(tx, line, call, facts.from, rules, decision);
      if (result?.outcome !== 'created' || result.contact_id === null) return result;
      // agents never matched with this customer are excluded as if they had declined (every route checks that)
      await tx.query(
        `UPDATE contacts SET routing_plan = $2, announcement = coalesce(announcement, $3),
                excluded_agent_ids = excluded_agent_ids || $4::uuid[],
                routing_trace = CASE WHEN cardinality($4::uuid[]) > 0
                                     THEN routing_trace || tether_trace($5) ELSE routing_trace END,
                offer_callback = $6
          WHERE id = $1`,
        [
          result.contact_id,
          decision.plan === null ? null : JSON.stringify(decision.plan),
          decision.announcement,
          neverMatched,
          ContactTrace.neverMatched(neverMatched),
          decision.offerCallback,
        ],
      );
      let redirect = decision.redirect;
      if (redirect === null && decision.queueLimit !== null) {
        const position = (result.ahead ?? 0) + 1;
        const limit = decision.queueLimit;
        const over =
          (limit.maxWaiting !== undefined && position > limit.maxWaiting) ||
          (limit.maxWaitSeconds !== undefined &&
            (await this.estimateWait(line, position)) > limit.maxWaitSeconds);
        if (over) redirect = await this.overflow(tx, line, result.contact_id, limit.overflow);
      }
      if (redirect !== null) await this.redirect(tx, line, result.contact_id, redirect, call, facts);
      return {
        ...result,
        announcement: result.announcement ?? decision.announcement,
        changed: redirect !== null || decision.queueLimit !== null || decision.offerCallback,
      };
    };
    // the warm-up's manager is already in a transaction (rolled back): one inside it would be a savepoint anyway
    return manager.queryRunner?.isTransactionActive ? write(manager) : inTransaction(this.dataSource, write);
  }

  /**
   * The line's queue is over its limit for a new contact: a callback offered at once, or the contact refused (ended,
   * `refused`, the reason as the announcement the IVR plays), or (answered for the caller to apply) another line.
   */
  private async overflow(
    tx: EntityManager,
    line: Line,
    contactId: string,
    overflow: OverflowAction,
  ): Promise<LineRedirect | null> {
    if (overflow.line !== undefined)
      return { line: overflow.line, reason: overflow.reason ?? `line ${line} is full` };
    if (overflow.callback === true) {
      await tx.query(
        `UPDATE contacts SET offer_callback = true, routing_trace = routing_trace || tether_trace($2) WHERE id = $1`,
        [contactId, ContactTrace.overflowed(line, 'a callback is offered')],
      );
      return null;
    }
    await tx.query(
      `UPDATE contacts SET status = 'ended', end_reason = 'refused', ended_at = now(),
              announcement = coalesce($2, announcement), routing_trace = routing_trace || tether_trace($3)
        WHERE id = $1 AND status = 'queued'`,
      [contactId, overflow.reason ?? null, ContactTrace.overflowed(line, 'refused')],
    );
    this.logger.log({ line, contactId }, 'queue limit reached: call refused');
    return null;
  }

  /**
   * A cross-line redirect at arrival: the contact keeps the line it called (its call id's scope) and waits on
   * `redirect.line`'s queue, decided there by that line's rules (priority, skills, stages, never-match; not a further
   * redirect or queue limit) with that line's relations (last agent, open case), and the reason in its trace.
   */
  private async redirect(
    tx: EntityManager,
    from: Line,
    contactId: string,
    redirect: LineRedirect,
    call: IncomingCall,
    facts: ContactFacts,
  ): Promise<void> {
    const target = CompiledRuleSet.for(await this.rules.cached(redirect.line));
    const customer = target.needsCustomer ? await customerFacts(tx, redirect.line, call.from) : null;
    const decision = target.decide({ ...facts, customer });
    const relations = await relationsFor(tx, redirect.line, call.from);
    await tx.query(
      `UPDATE contacts SET routed_line = $2, redirect_reason = $3, priority = $4, required_skills = $5,
              routing_plan = $6, announcement = coalesce(announcement, $7),
              sticky_agent_id = $8, last_agent_at = $9, case_id = $10,
              excluded_agent_ids = excluded_agent_ids || $11::uuid[],
              offer_callback = offer_callback OR $12,
              routing_trace = routing_trace || tether_trace($13)
                || CASE WHEN $14::text IS NULL THEN '[]'::jsonb ELSE tether_trace($14) END
        WHERE id = $1`,
      [
        contactId,
        redirect.line,
        redirect.reason,
        decision.priority,
        JSON.stringify(decision.skills),
        decision.plan === null ? null : JSON.stringify(decision.plan),
        decision.announcement,
        relations.lastAgent?.agentId ?? null,
        relations.lastAgent?.connectedAt ?? null,
        relations.caseId ?? null,
        target.neverMatchedWith(customer),
        decision.offerCallback,
        ContactTrace.redirected(from, redirect.line, redirect.reason),
        decision.rule === null ? null : `on line ${redirect.line}, rule ${decision.rule} matched`,
      ],
    );
    this.logger.log({ line: from, contactId, to: redirect.line }, 'call redirected to another line');
  }

  private receive(
    manager: EntityManager,
    line: Line,
    call: IncomingCall,
    /** the caller's number normalised (E.164), null when withheld: the intake normalised it once for the rules */
    from: string | null,
    rules: VersionedRules,
    { skills, priority, rule }: ArrivalDecision,
  ): Promise<(Partial<ContactRow> & { outcome: ReceiveCallOutcome; contact_id: string | null }) | undefined> {
    return one<Partial<ContactRow> & { outcome: ReceiveCallOutcome; contact_id: string | null }>(
      manager,
      prepared(`SELECT r.outcome, r.contact_id, v.*
       FROM tether_receive_call($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) r
       LEFT JOIN LATERAL tether_call_row(r.contact_id) v ON true`),
      [
        line,
        call.callId,
        call.from,
        from,
        call.to,
        call.ivr ? JSON.stringify(call.ivr) : null,
        priority,
        JSON.stringify(skills),
        rules.version,
        rule === null ? ContactTrace.arrived(line) : ContactTrace.arrivedByRule(line, rule),
        ContactTrace.hungUpFirst,
      ],
    );
  }

  /** A call of this line (the line of the app that was asked): another line's call with the same id is not found. */
  async getCall(line: Line, callId: string): Promise<CallView> {
    const row = await this.findByCallId(line, callId);
    if (!row) throw new NotFoundError('Call', callId);
    return this.view(row);
  }

  /**
   * The caller hung up: a waiting contact is abandoned, a pending offer revoked, a connected call ends. Only this
   * line's call with that id is touched. A call this line has not seen (the hang-up overtook its call webhook) is
   * remembered for `HANGUP_MEMORY_SECONDS` (`remembered: true`, answered 202): its webhook then records it as ended.
   * Both are decided under the call's lock (`tether_remember_hangup`, the same lock `tether_receive_call` takes), so
   * a hang-up racing its call webhook ends in exactly one of the two orders.
   */
  async hangup(line: Line, callId: string): Promise<HangupOutcome> {
    const outcome = await inTransaction(this.dataSource, async (tx) => {
      const seen = await one<{
        outcome: RememberHangupOutcome;
        contact_id: string | null;
        remembered_until: Date | null;
      }>(
        tx,
        `SELECT outcome, contact_id, remembered_until FROM tether_remember_hangup($1, 'voice', $2, $3)`,
        [line, callId, HANGUP_MEMORY_SECONDS],
      );
      if (!seen) throw new Error('tether_remember_hangup answered nothing');
      if (seen.outcome === 'remembered')
        return { remembered: true as const, rememberedUntil: seen.remembered_until! };
      // still under the call's lock, so no webhook can come between the look-up and the end
      const row = await one<ContactRow & { callback_id: string | null }>(
        tx,
        `${SELECT_CONTACT} WHERE c.id = $1 FOR UPDATE OF c`,
        [seen.contact_id],
      );
      if (!row) throw new NotFoundError('Call', callId);
      if (row.status === 'ended')
        return { remembered: false as const, row, revoked: undefined, transfer: undefined };
      if (row.callback_id && (row.status === 'queued' || row.status === 'offered')) {
        // the caller confirmed a callback: they keep their place and wait as a callback (a pending offer stands:
        // whoever accepts it gets the customer dialled)
        const left = await one<{ first: boolean }>(
          tx,
          `UPDATE callbacks SET caller_left_at = coalesce(caller_left_at, now()), updated_at = now()
            WHERE id = $1 RETURNING caller_left_at = now() AS first`,
          [row.callback_id],
        );
        if (left?.first)
          await tx.query(`UPDATE contacts SET routing_trace = routing_trace || $2::jsonb WHERE id = $1`, [
            row.id,
            traceEntry('caller hung up: waits as a callback'),
          ]);
        return { remembered: false as const, row, revoked: undefined, transfer: undefined, kept: true };
      }
      let revoked: { id: string; agent_id: string } | undefined;
      if (row.status === 'offered') {
        revoked = await one<{ id: string; agent_id: string; channel: string }>(
          tx,
          `UPDATE offers SET state = 'revoked', end_reason = 'caller_hung_up', resolved_at = clock_timestamp()
           WHERE contact_id = $1 AND state = 'pending' RETURNING id, agent_id, channel`,
          [row.id],
        );
        if (revoked) await releaseSlot(tx, revoked.agent_id, row.channel);
      }
      const endReason = row.status === 'connected' ? 'caller_hung_up' : 'abandoned';
      // a transfer under way ends with the call: a warm one leaves its agent with the contact to complete
      const transfer = await one<{ from_agent_id: string; mode: 'warm' | 'cold' }>(
        tx,
        `UPDATE transfers SET state = 'cancelled', return_reason = 'caller_hung_up', resolved_at = now()
          WHERE contact_id = $1 AND state = 'pending' RETURNING from_agent_id, mode`,
        [row.id],
      );
      // ended_at is when the call ended (under its lock), not when this transaction began: a transaction that waited
      // for the lock while an offer was made and accepted would otherwise record an end before that offer
      await tx.query(
        `UPDATE contacts SET status = 'ended', end_reason = $2, ended_at = clock_timestamp(), offered_agent_id = NULL,
                transfer_id = NULL, routing_trace = routing_trace || $3::jsonb WHERE id = $1`,
        [
          row.id,
          endReason,
          traceEntry(`caller hung up while ${transfer ? 'being transferred' : row.status}`),
        ],
      );
      return { remembered: false as const, row, revoked, transfer };
    });
    if (outcome.remembered) {
      this.logger.log({ line }, 'hang-up before its call webhook: remembered');
      return {
        remembered: true,
        answer: {
          callId,
          line,
          status: 'ended',
          contactId: null,
          rememberedUntil: outcome.rememberedUntil.toISOString(),
        },
      };
    }
    const { row, revoked, transfer } = outcome;
    if ('kept' in outcome) {
      this.logger.log({ line: row.line, contactId: row.id }, 'caller hung up: waits as a callback');
      return { remembered: false, view: await this.view(await this.getRow(row.id)) };
    }
    if (transfer?.mode === 'warm')
      await this.bus.publish({
        type: 'contact.ended',
        agentId: transfer.from_agent_id,
        contactId: row.id,
        reason: 'caller_hung_up',
      });
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
      this.dispatcher.request(row.routed_line ?? row.line);
    }
    if (row.status === 'queued')
      await this.bus.publish({ type: 'queue.changed', lines: [row.routed_line ?? row.line] });
    if (row.status === 'connected' && row.agent_id) {
      await this.bus.publish({
        type: 'contact.ended',
        agentId: row.agent_id,
        contactId: row.id,
        reason: 'caller_hung_up',
      });
    }
    return { remembered: false, view: await this.view(await this.getRow(row.id)) };
  }

  /**
   * Records which platform a call came through (the Twilio adapter) and the public base URL it called this line app
   * at, so the accept reaches it through that platform (tether_accept_offer) and calls placed for the contact report
   * their status back here.
   */
  async markProvider(contactId: string, provider: 'twilio', baseUrl: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE contacts SET provider = $2, provider_base_url = $3
        WHERE id = $1 AND (provider IS DISTINCT FROM $2 OR provider_base_url IS DISTINCT FROM $3)`,
      [contactId, provider, baseUrl],
    );
  }

  /** What a voice menu greets a caller with: their name when known, the subject of the open case they call about. */
  async callerCard(
    contactId: string,
  ): Promise<{ name: string | null; known: boolean; caseSubject: string | null }> {
    const row = await one<{ name: string | null; known: boolean; case_subject: string | null }>(
      this.dataSource.manager,
      `SELECT cu.name, cu.known, k.subject AS case_subject
         FROM contacts c JOIN customers cu ON cu.id = c.customer_id
         LEFT JOIN cases k ON k.id = c.case_id AND k.status IN ('open', 'waiting_on_customer')
        WHERE c.id = $1`,
      [contactId],
    );
    return { name: row?.name ?? null, known: row?.known ?? false, caseSubject: row?.case_subject ?? null };
  }

  /**
   * The caller said their call is not about the open case they were asked about: the contact is no longer linked to
   * it (routed by the line's rules, not to the case's owner). Only while it waits.
   */
  async notAboutCase(line: Line, callId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE contacts SET case_id = NULL, routing_trace = routing_trace || $3::jsonb
        WHERE line = $1 AND channel = 'voice' AND external_id = $2 AND status = 'queued' AND case_id IS NOT NULL`,
      [line, callId, traceEntry('the caller said the call is not about their open case')],
    );
  }

  /** The platform reports the call was answered (bridged): recorded, no routing effect. This line's call only. */
  async answered(line: Line, callId: string): Promise<CallView> {
    const row = await this.findByCallId(line, callId);
    if (!row) throw new NotFoundError('Call', callId);
    // a callback being dialled: the customer picked up
    await this.dataSource.query(
      `WITH answered AS (
         UPDATE contacts SET answered_at = COALESCE(answered_at, now()) WHERE id = $1 RETURNING callback_id)
       UPDATE callbacks b SET state = 'connected', updated_at = now()
         FROM answered a WHERE b.id = a.callback_id AND b.state = 'dialing'`,
      [row.id],
    );
    return this.view(await this.getRow(row.id));
  }

  /** The agent finished their work on the contact: history gets resolution and notes, the agent is freed (after wrap-up). */
  async complete(
    agentId: string,
    contactId: string,
    resolution: Resolution,
    notes?: string,
    linkTo: { subject?: string; caseId?: string } = {},
  ): Promise<{ contactId: string; wrapUpUntil: string | null; caseId: string | null }> {
    if (!UUID.test(contactId)) throw new ContactNotAssignedToAgent(contactId);
    if (linkTo.caseId !== undefined && !UUID.test(linkTo.caseId))
      throw new NotFoundError('Case', linkTo.caseId);
    const outcome = await one<{
      outcome: CompleteContactOutcome;
      line: Line | null;
      agent_lines: Line[] | null;
      wrap_up_until: Date | null;
      case_id: string | null;
      case_outcome: 'opened' | 'linked' | 'none' | null;
      case_owner_id: string | null;
    }>(this.dataSource.manager, COMPLETE_CONTACT, [
      agentId,
      contactId,
      resolution,
      notes ?? null,
      DEFAULT_ROUTING_RULES.wrapUpSeconds,
      linkTo.subject ?? null,
      linkTo.caseId ?? null,
    ]);
    if (!outcome || outcome.outcome === 'not_assigned') throw new ContactNotAssignedToAgent(contactId);
    if (outcome.outcome === 'already_completed') throw new ContactAlreadyCompleted(contactId);
    if (outcome.outcome === 'case_not_found') throw new NotFoundError('Case', linkTo.caseId ?? '');
    if (outcome.outcome === 'transfer_pending')
      throw new ConflictError(
        'transfer_pending',
        `contact ${contactId} is being transferred: complete it once the transfer is accepted or comes back`,
      );
    this.logger.log(
      {
        line: outcome.line,
        contactId,
        agentId,
        resolution,
        caseId: outcome.case_id,
        case: outcome.case_outcome,
      },
      'contact completed',
    );
    if (outcome.wrap_up_until) this.scheduler.wake(outcome.wrap_up_until);
    for (const line of outcome.agent_lines ?? []) this.dispatcher.request(line);
    if (outcome.case_id && outcome.case_outcome !== 'none')
      await this.cases.announceLinked(
        outcome.case_id,
        outcome.case_owner_id,
        outcome.case_outcome === 'opened',
      );
    return {
      contactId,
      wrapUpUntil: outcome.wrap_up_until?.toISOString() ?? null,
      caseId: outcome.case_id,
    };
  }

  /** The webhook's wait estimate for a contact at this place in the line's queue (1 = next). */
  async estimateWait(line: Line, queuePosition: number): Promise<number> {
    const { handleSeconds, agents } = await this.lineStats(line);
    return Math.round((queuePosition * handleSeconds) / Math.max(1, agents));
  }

  /**
   * For the wait estimate: the mean handle time of the line's last 50 completed contacts and how many agents are
   * signed in on it, recomputed at most every 5 s per process (they move slowly; the webhook is the hot path).
   */
  private async lineStats(line: Line): Promise<{ handleSeconds: number; agents: number }> {
    const cached = this.lineStatsCache.get(line);
    if (cached && cached.until > Date.now()) return cached;
    const row = await this.queryLineStats(this.dataSource.manager, line);
    const stats = {
      handleSeconds: row?.handle ?? DEFAULT_HANDLE_SECONDS,
      agents: row?.agents ?? 0,
      until: Date.now() + 5_000,
    };
    this.lineStatsCache.set(line, stats);
    return stats;
  }

  private queryLineStats(
    manager: EntityManager,
    line: Line,
  ): Promise<{ handle: number | null; agents: number } | undefined> {
    return one<{ handle: number | null; agents: number }>(
      manager,
      `SELECT
         (SELECT avg(EXTRACT(EPOCH FROM completed_at - connected_at))::float FROM
            (SELECT completed_at, connected_at FROM contacts WHERE line = $1 AND completed_at IS NOT NULL AND connected_at IS NOT NULL
             ORDER BY completed_at DESC LIMIT 50) recent) AS handle,
         (SELECT count(*)::int FROM agents a JOIN agent_presence p ON p.agent_id = a.id
            WHERE a.deleted_at IS NULL AND a.lines @> ARRAY[$1]::text[] AND p.state <> 'offline') AS agents`,
      [line],
    );
  }

  private findByCallId(line: Line, callId: string): Promise<ContactRow | undefined> {
    return one<ContactRow>(
      this.dataSource.manager,
      `SELECT r.* FROM contacts c, tether_call_row(c.id) r
       WHERE c.line = $1 AND c.channel = 'voice' AND c.external_id = $2`,
      [line, callId],
    );
  }

  /**
   * A contact's routing trace for admins (GET /v1/contacts/{id}/trace): every step from arrival (and the rule that
   * matched) to each offer with the engine's why, and the stages a rule gave it. Not found for a malformed id too.
   */
  async trace(id: string): Promise<ContactTraceView> {
    if (!UUID.test(id)) throw new NotFoundError('Contact', id);
    const row = await one<{
      line: Line;
      status: string;
      agent_id: string | null;
      priority: number;
      required_skills: Record<string, number>;
      routing_plan: RoutingPlan | null;
      routing_trace: { at: string; text: string }[] | null;
    }>(
      this.dataSource.manager,
      `SELECT line, status, agent_id, priority, required_skills, routing_plan, routing_trace FROM contacts WHERE id = $1`,
      [id],
    );
    if (!row) throw new NotFoundError('Contact', id);
    return {
      contactId: id,
      line: row.line,
      status: row.status,
      agentId: row.agent_id,
      priority: row.priority,
      requiredSkills: row.required_skills,
      plan: row.routing_plan,
      trace: row.routing_trace ?? [],
    };
  }

  private async getRow(id: string): Promise<ContactRow> {
    const row = await one<ContactRow>(this.dataSource.manager, `SELECT * FROM tether_call_row($1)`, [id]);
    if (!row) throw new NotFoundError('Contact', id);
    return row;
  }

  private async view(row: ContactRow): Promise<CallView> {
    let queuePosition: number | null = null;
    let estimatedWaitSeconds: number | null = null;
    let callbackOffered = false;
    const queueLine = row.routed_line ?? row.line;
    if (row.status === 'queued') {
      queuePosition = (row.ahead ?? 0) + 1;
      const { handleSeconds, agents } = await this.lineStats(queueLine);
      estimatedWaitSeconds = Math.round((queuePosition * handleSeconds) / Math.max(1, agents));
      const threshold = (await this.rules.cached(queueLine)).callback.offerAfterWaitSeconds;
      callbackOffered =
        !row.callback &&
        (row.offer_callback === true || (threshold !== null && estimatedWaitSeconds > threshold));
      estimatedWaitSeconds = await this.estimateWait(queueLine, queuePosition);
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
      direction: row.direction ?? 'inbound',
      callbackOffered,
      callback: row.callback ? callbackView(row.callback) : null,
      ...(row.routed_line
        ? { redirect: { line: row.routed_line, reason: row.redirect_reason ?? null } }
        : {}),
    };
  }
}
