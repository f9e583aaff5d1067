import { expect } from '@jest/globals';
import { RoutingEngine } from './routing-engine';
import { mergeRoutingRules } from './routing-rules';
import { planOf } from './rule-set.compiler';
import type { AgentCandidate, RoutingPassResult, WaitingContact } from './routing.types';
import type { RoutingPlan } from './rule-set.types';

/** A rule's stages at pass time: the stage is read from the time waited, with a fake clock (`now`). */
const ARRIVED = new Date('2026-03-02T10:00:00.000Z');
const after = (seconds: number) => new Date(ARRIVED.getTime() + seconds * 1000);

function agent(id: string, overrides: Partial<AgentCandidate> = {}): AgentCandidate {
  return {
    id,
    presence: 'available',
    connected: true,
    lines: ['sales'],
    skills: {},
    capacity: { voice: 1 },
    load: {},
    idleSince: new Date(ARRIVED.getTime() - 600_000),
    wrapUpUntil: null,
    ...overrides,
  };
}

function contact(plan: RoutingPlan | null, overrides: Partial<WaitingContact> = {}): WaitingContact {
  return {
    id: 'c-1',
    line: 'sales',
    channel: 'voice',
    priority: 0,
    enqueuedAt: ARRIVED,
    requiredSkills: {},
    relations: { lastAgent: null, caseOwnerId: null },
    excludedAgentIds: [],
    plan,
    ...overrides,
  };
}

function decide(at: Date, contacts: WaitingContact[], agents: AgentCandidate[]): RoutingPassResult {
  // sticky off on the line: a stage that names the preferred agent asks for them all the same
  const rules = mergeRoutingRules({ sticky: { enabled: false } });
  return new RoutingEngine().decide({ line: 'sales', now: at, rules, contacts, agents });
}

const PLAN = planOf({
  name: 'billing',
  stages: [{ seconds: 30, preferred: true }, { seconds: 60, skills: { billing: 7 } }, {}],
})!;

describe('routing by stages', () => {
  const owner = agent('owner', { presence: 'away' });
  const expert = agent('expert', {
    skills: { billing: 7 },
    idleSince: new Date(ARRIVED.getTime() - 100_000),
  });
  const novice = agent('novice', { skills: { billing: 3 } }); // idle longest
  const caseContact = contact(PLAN, { relations: { lastAgent: null, caseOwnerId: 'owner' } });

  it('stage 1 waits for the case owner until its end, exactly, and asks for a pass then', () => {
    const result = decide(after(29.999), [caseContact], [owner, expert, novice]);
    expect(result.assignments).toEqual([]);
    expect(result.waiting).toEqual([
      {
        contactId: 'c-1',
        trace: expect.stringMatching(/rule billing, stage 1 of 3 .*case owner owner is away/),
      },
    ]);
    expect(result.stageEnds).toEqual([{ contactId: 'c-1', until: after(30) }]);
  });

  it('stage 1 offers the case owner when free, skills aside', () => {
    const result = decide(after(5), [caseContact], [agent('owner'), expert]);
    expect(result.assignments).toEqual([expect.objectContaining({ agentId: 'owner', reason: 'case_owner' })]);
  });

  it('at 30 s stage 2 widens to billing >= 7, not to the longer idle novice', () => {
    const result = decide(after(30), [caseContact], [owner, expert, novice]);
    expect(result.assignments).toEqual([
      expect.objectContaining({
        agentId: 'expert',
        reason: 'skills',
        trace: expect.stringMatching(/needs billing>=7; rule billing, stage 2 of 3/),
      }),
    ]);
  });

  it('in stage 2 without an expert it waits until 90 s, then anyone on the line takes it', () => {
    const at89 = decide(after(89.999), [caseContact], [owner, novice]);
    expect(at89.assignments).toEqual([]);
    expect(at89.stageEnds).toEqual([{ contactId: 'c-1', until: after(90) }]);
    const at90 = decide(after(90), [caseContact], [owner, novice]);
    expect(at90.assignments).toEqual([expect.objectContaining({ agentId: 'novice', reason: 'skills' })]);
    expect(at90.stageEnds).toEqual([]);
  });

  it('a stage of named agents offers the longest idle of them who is free', () => {
    const plan = planOf({ name: 'named', stages: [{ seconds: 10, agents: ['x', 'y'] }, {}] })!;
    const x = agent('x', { idleSince: after(-5) });
    const y = agent('y', { idleSince: after(-50) });
    expect(decide(after(1), [contact(plan)], [x, y, novice]).assignments).toEqual([
      expect.objectContaining({ agentId: 'y' }),
    ]);
    expect(decide(after(1), [contact(plan)], [x, { ...y, load: { voice: 1 } }, novice]).assignments).toEqual([
      expect.objectContaining({ agentId: 'x' }),
    ]);
    const none = decide(after(1), [contact(plan)], [novice]);
    expect(none.assignments).toEqual([]);
    expect(none.waiting[0].trace).toMatch(/none of the agents x, y can take it now/);
  });

  it('a contact without a plan routes as before (its own skills, sticky rules of the line)', () => {
    const result = decide(after(1), [contact(null, { requiredSkills: { billing: 5 } })], [expert, novice]);
    expect(result.assignments).toEqual([expect.objectContaining({ agentId: 'expert', reason: 'skills' })]);
    expect(result.stageEnds).toEqual([]);
  });

  it('a declined agent is not asked again in a later stage', () => {
    const result = decide(after(40), [contact(PLAN, { excludedAgentIds: ['expert'] })], [expert, novice]);
    expect(result.assignments).toEqual([]);
    expect(result.stageEnds).toEqual([{ contactId: 'c-1', until: after(90) }]);
  });
});
