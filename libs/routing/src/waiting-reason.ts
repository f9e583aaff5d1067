import { isReady } from './pass-agent';
import { preferredAgentFor } from './preferred-agent.policy';
import { explainStages, type ExplainInput } from './routing-explainer';

export interface WaitingReasonInput extends Omit<ExplainInput, 'takenAgentIds'> {
  /** a callback's window or retry delay (contacts.not_before): not routed before it */
  notBefore?: Date | null;
}

export interface WaitingReason {
  /** the stage of its plan the contact is in (1-based), null for a contact without a plan */
  stage: number | null;
  /** why it has not been offered yet, in a supervisor's words; null when an agent could take it at the next pass */
  heldFor: string | null;
}

/** Reasons `waitingReason` gives (a stage's own target is appended to the stage reasons). */
export const WAITING_REASONS = {
  callbackWindow: 'callback window',
  transferToAgent: 'transfer to a named agent',
  preferredAgent: 'preferred agent',
  noAgentWithSkills: 'no agent with the skills',
  noFreeAgent: 'no free agent with the skills',
} as const;

/**
 * Why a waiting contact has not been offered yet, read from the same facts and policy the routing pass uses
 * (`preferredAgentFor`, the plan's current stage and who may take it: `explainStages`): for the supervisors' live
 * view. It decides nothing: the pass does (`RoutingEngine.decide`); this only says which of its reasons to wait
 * applies now. `agents` are the line's agents, whatever their state.
 */
export function waitingReason(input: WaitingReasonInput): WaitingReason {
  const { contact, now, rules, agents } = input;
  const stages = explainStages(input);
  const currentIndex = stages.findIndex((s) => s.current);
  const stage = contact.plan ? currentIndex + 1 : null;
  if (input.notBefore && input.notBefore.getTime() > now.getTime())
    return { stage, heldFor: WAITING_REASONS.callbackWindow };
  if (contact.relations.transfer?.kind === 'agent')
    return { stage, heldFor: WAITING_REASONS.transferToAgent };

  if (!contact.plan) {
    // the pass's hold: the preferred agent is signed in but not free, and the line's sticky wait is not over
    const preferred = preferredAgentFor(contact, rules);
    const agent = preferred ? agents.find((a) => a.id === preferred.agentId) : undefined;
    const waitEnds = contact.enqueuedAt.getTime() + rules.sticky.waitSeconds * 1000;
    if (
      agent &&
      agent.presence !== 'offline' &&
      now.getTime() < waitEnds &&
      agent.lines.includes(input.line)
    ) {
      const free =
        isReady(agent, now.getTime()) &&
        (agent.capacity[contact.channel] ?? 0) - (agent.load[contact.channel] ?? 0) > 0;
      if (!free && !contact.excludedAgentIds.includes(agent.id))
        return { stage, heldFor: WAITING_REASONS.preferredAgent };
    }
  }

  const current = stages[currentIndex];
  if (current.candidates.some((c) => c.eligible)) return { stage, heldFor: null };
  // an agent who only lacks a free moment (not ready, no free slot) would qualify: the contact waits for them
  const busy = current.candidates.some(
    (c) =>
      c.why !== null &&
      (/^is (away|offline|disconnected|in wrap-up)/.test(c.why) || c.why.startsWith('has no free')),
  );
  const why = busy ? WAITING_REASONS.noFreeAgent : WAITING_REASONS.noAgentWithSkills;
  return { stage, heldFor: contact.plan ? `stage ${stage}: ${why} (${current.target})` : why };
}
