import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { normalizePhone } from '@tether/customers';
import { lineLockKey } from '@tether/lines';
import { inTransaction, one } from '@tether/persistence';
import {
  Channel,
  CompiledRuleSet,
  Line,
  OfferReason,
  RoutingEngine,
  RoutingPlan,
  RoutingRules,
  StageEndAction,
  StageExplanation,
  WaitingContact,
  compareQueueOrder,
  explainStages,
  stageEndActionDueSeconds,
} from '@tether/routing';
import { ContactLifecycleService } from './contact-lifecycle.service';
import { CONTACTS_PER_PASS, toEngineInput } from './contact-dispatcher.service';
import { IvrInfo } from './contact.types';
import { customerFacts, relationsFor } from './customer-facts';
import { LineRoutingRepository } from './line-routing.repository';
import type { RoutingSnapshot, SnapshotAgent } from './routing-snapshot.types';

/** A contact that has not happened: what POST /v1/lines/{line}/routing/simulate takes. */
export interface HypotheticalContact {
  from: string;
  channel?: Channel;
  ivr?: IvrInfo;
  /** when it arrives (default: now); earlier than now, it has waited since (a later stage may apply) */
  at?: Date;
  /** the version of the line's rules to decide by (default: the live one) */
  version?: number;
  /** decide by the line's draft instead (not with `version`) */
  draft?: boolean;
}

/** The simulator's answer: the decision a routing pass would make now, and why. */
export interface Simulation {
  line: Line;
  /** the rules version decided by (null: the draft) */
  version: number | null;
  /** whether the line's draft decided */
  draft: boolean;
  /** the database's time the decision is made at */
  now: string;
  /** the rule that matched, or null (the line's intents decided) */
  rule: string | null;
  priority: number;
  skills: Record<string, number>;
  announcement: string | null;
  /** the agent that would be offered the contact now, or null */
  agent: { id: string; reason: OfferReason } | null;
  /** held for a preferred agent until then (sticky's wait), when it is */
  heldUntil: string | null;
  /** the engine's trace for the contact: why this agent, or why it waits */
  trace: string;
  /** each stage with every agent of the line and why they are or are not a candidate */
  stages: StageExplanation[];
  /** its place in the queue if it waits (1 = next), null when offered now */
  queuePosition: number | null;
  /** the webhook's estimate; 0 when offered now */
  estimatedWaitSeconds: number;
  /**
   * the rule's cross-line redirect, or null: the contact would wait on that line's queue (decided by its rules; the
   * agent and stages above are this line's reading, not that line's)
   */
  redirect: { line: Line; reason: string } | null;
  /** the rule offers a callback at once */
  offerCallback: boolean;
  /**
   * what follows the stages (the rule's `afterStages`), or null: taken `atSeconds` after arrival if the contact still
   * waits then; `due` when the contact (an `at` in the past) has waited that long already, so the next pass takes it
   * (for an overflow, the agent and stages above are this line's reading, not the other line's)
   */
  afterStages: (StageEndAction & { atSeconds: number; due: boolean }) | null;
  /** the rule holds the contact until the line's calendar opens then (`holdUntilOpen` while closed), or null */
  heldUntilOpen: string | null;
}

const SIMULATED_ID = 'simulated';

const LINE_AGENTS = `
  SELECT coalesce(json_agg(json_build_object('id', a.id, 'lines', a.lines, 'skills', a.skills, 'capacity', a.capacity,
           'team', a.team, 'state', p.state, 'idleSince', p.idle_since, 'wrapUpUntil', p.wrap_up_until,
           'connected', EXISTS (SELECT 1 FROM agent_connections ac WHERE ac.agent_id = a.id),
           'load', coalesce((SELECT json_object_agg(s.channel, s.used) FROM agent_slots s WHERE s.agent_id = a.id),
                            '{}'::json))), '[]'::json) AS agents
    FROM agents a JOIN agent_presence p ON p.agent_id = a.id
   WHERE a.deleted_at IS NULL AND a.lines @> ARRAY[$1]`;

/**
 * "What would happen to this call now?": the same code path as a real call and a real pass, on the live state, with
 * nothing written. The line's compiled rules decide priority, skills, stages and announcement from the same facts
 * intake reads (`customerFacts`); the contact's relations are read as `tether_receive_call` records them; then the
 * line's real snapshot (under the line's lock, every ready agent) plus the hypothetical contact goes through
 * `RoutingEngine.decide`, the very call the dispatcher makes. `explainStages` adds, for each stage, why each agent of
 * the line is or is not a candidate.
 */
@Injectable()
export class RoutingSimulator {
  private readonly engine = new RoutingEngine();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rules: LineRoutingRepository,
    private readonly lifecycle: ContactLifecycleService,
  ) {}

  async simulate(line: Line, contact: HypotheticalContact): Promise<Simulation> {
    const rules: RoutingRules & { version: number | null } = contact.draft
      ? { ...(await this.rules.draft(line)), version: null }
      : contact.version === undefined
        ? await this.rules.get(line)
        : await this.rules.version(line, contact.version);
    const channel = contact.channel ?? 'voice';
    const outcome = await inTransaction(this.dataSource, async (tx) => {
      const compiled = CompiledRuleSet.for(rules);
      const customer = compiled.needsCustomer ? await customerFacts(tx, line, contact.from) : null;
      const relations = await relationsFor(tx, line, contact.from);
      const snapshot = (await one<{ s: RoutingSnapshot }>(
        tx,
        `SELECT tether_routing_snapshot($1, $2, $3, $4, $5, true) AS s`,
        [
          line,
          lineLockKey(line),
          CONTACTS_PER_PASS,
          RoutingEngine.READY_AGENTS_PER_CONTACT,
          RoutingEngine.MIN_READY_AGENTS,
        ],
      ))!.s;
      const lineAgents = (await one<{ agents: SnapshotAgent[] }>(tx, LINE_AGENTS, [line]))!.agents;
      const now = new Date(snapshot.now);
      const at = contact.at ?? now;
      const decision = compiled.decide({
        channel,
        ivr: contact.ivr ?? null,
        from: normalizePhone(contact.from),
        at,
        customer,
      });
      const hypothetical: WaitingContact = {
        id: SIMULATED_ID,
        line,
        channel,
        priority: decision.priority,
        enqueuedAt: at,
        requiredSkills: decision.skills,
        relations,
        excludedAgentIds: compiled.neverMatchedWith(customer),
        plan: decision.plan,
      };
      const seen = new Set(snapshot.agents.map((a) => a.id));
      const agents = [...snapshot.agents, ...lineAgents.filter((a) => !seen.has(a.id))];
      const input = toEngineInput(line, { ...snapshot, agents, agentsComplete: true });
      const result = this.engine.decide({
        line,
        now,
        rules,
        contacts: [...input.contacts, hypothetical],
        agents: input.agents,
        agentsComplete: true,
      });
      const assignment = result.assignments.find((a) => a.contactId === SIMULATED_ID) ?? null;
      const hold = result.holds.find((h) => h.contactId === SIMULATED_ID) ?? null;
      const waiting = result.waiting.find((w) => w.contactId === SIMULATED_ID) ?? null;
      const ahead = input.contacts.filter((c) => compareQueueOrder(c, hypothetical) < 0).length;
      const taken = new Set(
        result.assignments.filter((a) => a.contactId !== SIMULATED_ID).map((a) => a.agentId),
      );
      const stages = explainStages({
        line,
        now,
        rules,
        contact: hypothetical,
        agents: input.agents.filter((a) => a.lines.includes(line)),
        takenAgentIds: taken,
      });
      return {
        now,
        decision,
        assignment,
        hold,
        trace: assignment?.trace ?? hold?.trace ?? waiting?.trace ?? '',
        stages,
        ahead,
      };
    });
    const { decision, assignment, hold } = outcome;
    const queuePosition = assignment === null ? outcome.ahead + 1 : null;
    return {
      line,
      version: rules.version,
      draft: contact.draft === true,
      now: outcome.now.toISOString(),
      rule: decision.rule,
      priority: decision.priority,
      skills: decision.skills,
      announcement: decision.announcement,
      agent: assignment === null ? null : { id: assignment.agentId, reason: assignment.reason },
      heldUntil: hold?.until.toISOString() ?? null,
      trace: outcome.trace,
      stages: outcome.stages,
      queuePosition,
      estimatedWaitSeconds:
        queuePosition === null ? 0 : await this.lifecycle.estimateWait(line, queuePosition),
      redirect: decision.redirect,
      offerCallback: decision.offerCallback,
      afterStages: afterStagesOf(decision.plan, outcome.now, contact.at ?? outcome.now),
      heldUntilOpen: decision.holdUntil?.toISOString() ?? null,
    };
  }
}

/** The plan's stage end action as the simulator states it: when (after arrival) and whether it is due already. */
function afterStagesOf(
  plan: RoutingPlan | null,
  now: Date,
  arrival: Date,
): (StageEndAction & { atSeconds: number; due: boolean }) | null {
  const atSeconds = stageEndActionDueSeconds(plan);
  if (atSeconds === null || plan?.afterStages === undefined) return null;
  return {
    ...plan.afterStages,
    atSeconds,
    due: now.getTime() - arrival.getTime() >= atSeconds * 1000,
  };
}
