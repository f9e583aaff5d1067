import { normalizePhone } from '@tether/customers';
import { one, rows, Sql } from '@tether/persistence';
import {
  CompiledRuleSet,
  stageEndActionDueSeconds,
  type Channel,
  type Line,
  type RoutingPlan,
  type RoutingRules,
} from '@tether/routing';
import { ContactTrace } from './contact-trace';
import { customerFacts, relationsFor } from './customer-facts';
import type { StageEndOutcome } from './sql-outcomes';
import type { RoutingSnapshot } from './routing-snapshot.types';

/** A stage end action `tether_stage_end` applied in a routing pass (after the commit: who to tell, what to route). */
export interface AppliedStageEnd {
  contactId: string;
  action: 'line' | 'callback' | 'announcement';
  /** the line the contact waits on now (`line` only) */
  toLine: string | null;
  /** an outbox row was written to the telephony platform (delivered by its job, due at once) */
  notified: boolean;
}

/** Where stage end actions reach the outside: the telephony callback URL, and whether replies are delivered. */
export interface StageEndTargets {
  callbackUrl: string | null;
  channelDelivery: boolean;
}

/**
 * The waiting contacts of a pass's snapshot whose rule's last stage has ended and whose stage end action is still in
 * their plan (`afterStages`), in queue order: the action is due. Pure (the engine's own clock: the database's now).
 */
export function dueStageEnds(snapshot: RoutingSnapshot, now: Date): RoutingSnapshot['contacts'] {
  return snapshot.contacts.filter((c) => {
    const due = stageEndActionDueSeconds(c.plan);
    return due !== null && now.getTime() - new Date(c.enqueuedAt).getTime() >= due * 1000;
  });
}

/**
 * Applies the due stage end actions in the pass's transaction (under the line's lock), each at most once
 * (`tether_stage_end` claims it). An overflow's target line decides the contact as a redirect at arrival does: that
 * line's rules on the contact's facts at this moment (priority, skills, stages counted on from now, never-match, a
 * callback; not its queue limit, a further redirect or a further overflow), with that line's relations.
 */
export async function applyStageEnds(
  tx: Sql,
  line: Line,
  due: RoutingSnapshot['contacts'],
  now: Date,
  rulesOf: (line: Line) => Promise<RoutingRules>,
  targets: StageEndTargets,
): Promise<AppliedStageEnd[]> {
  const applied: AppliedStageEnd[] = [];
  for (const contact of due) {
    const plan = contact.plan!;
    const action = plan.afterStages!;
    let route: Record<string, unknown> | null = null;
    let trace: string;
    if (action.line !== undefined) {
      const target = await routeOnLine(tx, contact.id, action.line, now, rulesOf);
      route = target.route;
      trace = ContactTrace.stageEndOverflowed(plan.rule, line, action.line, action.reason ?? '', target.rule);
    } else if (action.callback === true) trace = ContactTrace.stageEndCallback(plan.rule);
    else trace = ContactTrace.stageEndAnnouncement(plan.rule);
    const result = await one<{
      outcome: StageEndOutcome;
      action: AppliedStageEnd['action'] | null;
      callback_id: string | null;
    }>(tx, `SELECT outcome, action, callback_id FROM tether_stage_end($1, $2, $3, $4, $5, $6)`, [
      contact.id,
      line,
      route === null ? null : JSON.stringify(route),
      targets.callbackUrl,
      targets.channelDelivery,
      trace,
    ]);
    if (result?.outcome !== 'applied' || result.action === null) continue;
    applied.push({
      contactId: contact.id,
      action: result.action,
      toLine: action.line ?? null,
      notified: result.callback_id !== null,
    });
  }
  return applied;
}

/** What `toLine`'s rules decide for a contact overflowing to it now, as `tether_stage_end`'s `p_route`. */
async function routeOnLine(
  tx: Sql,
  contactId: string,
  toLine: Line,
  now: Date,
  rulesOf: (line: Line) => Promise<RoutingRules>,
): Promise<{ route: Record<string, unknown>; rule: string | null }> {
  const [row] = await rows<{
    channel: Channel;
    from_address: string | null;
    ivr: { intent?: string; digits?: string; language?: string } | null;
    enqueued_at: Date;
  }>(tx, `SELECT channel, from_address, ivr, enqueued_at FROM contacts WHERE id = $1`, [contactId]);
  const compiled = CompiledRuleSet.for(await rulesOf(toLine));
  const from = row?.from_address ?? null;
  const customer = compiled.needsCustomer && from !== null ? await customerFacts(tx, toLine, from) : null;
  const decision = compiled.decide({
    channel: row?.channel ?? 'voice',
    ivr: row?.ivr ?? null,
    from: from === null ? null : normalizePhone(from),
    at: now,
    customer,
  });
  const relations = from === null ? null : await relationsFor(tx, toLine, from);
  const waitedSeconds = row ? Math.max(0, Math.floor((now.getTime() - row.enqueued_at.getTime()) / 1000)) : 0;
  return {
    rule: decision.rule,
    route: {
      priority: decision.priority,
      requiredSkills: decision.skills,
      plan: continuedPlan(decision.plan, waitedSeconds),
      stickyAgentId: relations?.lastAgent?.agentId ?? null,
      lastAgentAt: relations?.lastAgent?.connectedAt ?? null,
      caseId: relations?.caseId ?? null,
      excludedAgentIds: compiled.neverMatchedWith(customer),
      offerCallback: decision.offerCallback,
    },
  };
}

/**
 * The target line's plan for a contact that has waited `waitedSeconds` already: its stages counted from now (the
 * plan's ends are seconds after arrival), and without a further overflow (a callback or an announcement stays).
 */
export function continuedPlan(plan: RoutingPlan | null, waitedSeconds: number): RoutingPlan | null {
  if (plan === null) return null;
  const { afterStages, ...rest } = plan;
  return {
    ...rest,
    stages: plan.stages.map((stage) => ({
      ...stage,
      untilSeconds: stage.untilSeconds === null ? null : stage.untilSeconds + waitedSeconds,
    })),
    ...(afterStages !== undefined && afterStages.line === undefined
      ? { afterStages: { ...afterStages } }
      : {}),
  };
}
