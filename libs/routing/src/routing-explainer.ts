import { CHANNEL_INDEX, compileCrossChannel, isReady, toPassAgent } from './pass-agent';
import { preferredAgentFor } from './preferred-agent.policy';
import { skillLevel } from './requirement-compiler';
import type { AgentCandidate, Line, RoutingRules, WaitingContact } from './routing.types';
import type { PlanStage } from './rule-set.types';

/** One agent of the line as a stage sees them: whether they could take the contact, and if not, why. */
export interface StageCandidate {
  agentId: string;
  eligible: boolean;
  /** why not, in words fit for an admin (null when eligible) */
  why: string | null;
}

/** One stage of a contact's routing, with every agent of the line judged against it. */
export interface StageExplanation {
  /** 1-based */
  stage: number;
  /** when the stage ends, as seconds after arrival; null: open-ended */
  untilSeconds: number | null;
  /** who the stage asks for, in words */
  target: string;
  /** the stage the contact is in at `now` */
  current: boolean;
  candidates: StageCandidate[];
}

export interface ExplainInput {
  line: Line;
  now: Date;
  rules: RoutingRules;
  contact: WaitingContact;
  /** every agent of the line, whatever their state */
  agents: readonly AgentCandidate[];
  /** agents the same pass gives to contacts ahead of this one (their slot is taken) */
  takenAgentIds?: ReadonlySet<string>;
}

/**
 * Why each agent of the line can or cannot take a contact, stage by stage: the simulator's explanation beside the
 * engine's decision (which it does not make: `RoutingEngine.decide` does, on the same input). A contact without a
 * plan has one open-ended stage: its own skills (the line's intents, or a rule's `skills`).
 */
export function explainStages(input: ExplainInput): StageExplanation[] {
  const { contact, now } = input;
  const stages: PlanStage[] = contact.plan?.stages ?? [
    { untilSeconds: null, skills: { ...contact.requiredSkills } },
  ];
  const waitedMs = now.getTime() - contact.enqueuedAt.getTime();
  let current = stages.findIndex((s) => s.untilSeconds === null || waitedMs < s.untilSeconds * 1000);
  if (current === -1) current = stages.length - 1;
  const preferred = preferredAgentFor(contact, {
    ...input.rules,
    sticky: { ...input.rules.sticky, enabled: true },
  });
  return stages.map((stage, index) => ({
    stage: index + 1,
    untilSeconds: stage.untilSeconds,
    target: targetOf(stage),
    current: index === current,
    candidates: [...input.agents]
      .sort(
        (a, b) => a.idleSince.getTime() - b.idleSince.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .map((agent) => {
        const why = whyNot(input, stage, agent, preferred?.agentId ?? null, index === current);
        return { agentId: agent.id, eligible: why === null, why };
      }),
  }));
}

function targetOf(stage: PlanStage): string {
  if (stage.preferred) return "the customer's case owner, else their last agent on the line";
  if (stage.agents !== undefined) return `the agents ${stage.agents.join(', ')}`;
  const skills = Object.entries(stage.skills ?? {});
  if (skills.length === 0) return 'anyone on the line';
  return `agents with ${skills
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, level]) => `${name}>=${level}`)
    .join(', ')}`;
}

function whyNot(
  { line, now, contact, takenAgentIds, rules }: ExplainInput,
  stage: PlanStage,
  agent: AgentCandidate,
  preferredId: string | null,
  current: boolean,
): string | null {
  if (!agent.lines.includes(line)) return `does not serve line ${line}`;
  if (stage.preferred && agent.id !== preferredId) return "is not the customer's case owner or last agent";
  if (stage.agents !== undefined && !stage.agents.includes(agent.id)) return 'is not named in this stage';
  if (!stage.preferred && stage.agents === undefined) {
    const lacking = Object.entries(stage.skills ?? {})
      .filter(([name, level]) => skillLevel(agent.skills, name) < level)
      .map(([name, level]) => `${name}>=${level} (has ${skillLevel(agent.skills, name)})`);
    if (lacking.length > 0) return `lacks ${lacking.join(', ')}`;
  }
  if (contact.excludedAgentIds.includes(agent.id)) return 'already declined this contact';
  const channel = contact.channel;
  if ((agent.capacity[channel] ?? 0) <= 0) return `takes no ${channel} contacts`;
  if (!isReady(agent, now.getTime())) {
    if (agent.presence !== 'available') return `is ${agent.presence}`;
    if (!agent.connected) return 'is disconnected';
    return `is in wrap-up until ${agent.wrapUpUntil?.toISOString() ?? '?'}`;
  }
  if ((agent.capacity[channel] ?? 0) - (agent.load[channel] ?? 0) <= 0) return `has no free ${channel} slot`;
  const cross = compileCrossChannel(rules.crossChannel);
  if (cross !== null && toPassAgent(agent, now.getTime(), cross).remaining[CHANNEL_INDEX[channel]] <= 0)
    return `the line's cross-channel rule allows no ${channel} contact beside what they hold`;
  if (current && takenAgentIds?.has(agent.id)) return 'goes to a contact ahead in the queue in this pass';
  return null;
}
