import { expect } from '@jest/globals';
import fc from 'fast-check';
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

describe('routing by stages (property)', () => {
  const IDS = ['a0', 'a1', 'a2', 'a3', 'a4'];
  // mostly ready agents on the line, so that both assignments and waits are common
  const agentArb = fc.record({
    id: fc.constantFrom(...IDS),
    presence: fc.constantFrom<AgentCandidate['presence']>(
      'available',
      'available',
      'available',
      'away',
      'offline',
    ),
    connected: fc.constantFrom(true, true, true, false),
    lines: fc.constantFrom(['sales'], ['sales'], ['service'], ['sales', 'service']),
    skills: fc.dictionary(fc.constantFrom('billing', 'tech'), fc.integer({ min: 1, max: 10 })),
    capacity: fc.constantFrom({ voice: 1 }, { voice: 1 }, { voice: 0 }, { voice: 2 }),
    load: fc.constantFrom({}, {}, {}, { voice: 1 }),
    idleSince: fc.integer({ min: -600, max: 0 }).map((s) => after(s)),
    wrapUpUntil: fc.constantFrom<Date | null>(null, null, null, after(-1), after(500)),
  });
  const stageArb = fc.oneof(
    fc.constant({ preferred: true as const }),
    fc.record({ agents: fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1, maxLength: 3 }) }),
    fc.record({ skills: fc.dictionary(fc.constantFrom('billing', 'tech'), fc.integer({ min: 1, max: 10 })) }),
  );
  const planArb = fc
    .array(fc.tuple(stageArb, fc.integer({ min: 1, max: 60 })), { minLength: 1, maxLength: 4 })
    .map((stages) =>
      planOf({
        name: 'p',
        stages: stages.map(([stage, seconds], i) =>
          i === stages.length - 1 ? stage : { ...stage, seconds },
        ),
      }),
    );
  const relationsArb = fc.oneof(
    fc.constant({ lastAgent: null, caseOwnerId: null }),
    fc.record({ lastAgent: fc.constant(null), caseOwnerId: fc.constantFrom(...IDS) }),
    fc.record({
      lastAgent: fc.record({
        agentId: fc.constantFrom(...IDS),
        connectedAt: fc.constantFrom(after(-3600), after(-40 * 86400)),
      }),
      caseOwnerId: fc.constant(null),
    }),
  );

  /** The stages read literally, for one contact: who it goes to now, and whether a pass is asked for at a stage end. */
  function naive(
    c: WaitingContact,
    agents: AgentCandidate[],
    at: Date,
  ): { agentId: string | null; wakeAt: Date | null } {
    const waited = at.getTime() - c.enqueuedAt.getTime();
    const stages = c.plan!.stages;
    let index = stages.findIndex((s) => s.untilSeconds === null || waited < s.untilSeconds * 1000);
    if (index === -1) index = stages.length - 1;
    const stage = stages[index];
    const ends = stage.untilSeconds !== null && waited < stage.untilSeconds * 1000;
    const byId = new Map(agents.map((a) => [a.id, a]));
    const canTake = (a: AgentCandidate | undefined): a is AgentCandidate =>
      a !== undefined &&
      a.lines.includes('sales') &&
      !c.excludedAgentIds.includes(a.id) &&
      a.presence === 'available' &&
      a.connected &&
      (a.wrapUpUntil === null || a.wrapUpUntil.getTime() <= at.getTime()) &&
      (a.capacity.voice ?? 0) - (a.load.voice ?? 0) > 0;
    const longestIdle = (candidates: AgentCandidate[]) =>
      candidates.sort((x, y) => x.idleSince.getTime() - y.idleSince.getTime() || (x.id < y.id ? -1 : 1))[0] ??
      null;
    let chosen: AgentCandidate | null = null;
    if (stage.preferred) {
      const { caseOwnerId, lastAgent } = c.relations;
      const preferredId =
        caseOwnerId ??
        (lastAgent !== null && lastAgent.connectedAt.getTime() > c.enqueuedAt.getTime() - 30 * 86400_000
          ? lastAgent.agentId
          : null);
      const candidate = preferredId === null ? undefined : byId.get(preferredId);
      chosen = canTake(candidate) ? candidate : null;
    } else if (stage.agents !== undefined) {
      chosen = longestIdle(stage.agents.map((id) => byId.get(id)).filter(canTake));
    } else {
      const skills = Object.entries(stage.skills ?? {});
      chosen = longestIdle(
        agents.filter((a) => canTake(a) && skills.every(([name, level]) => (a.skills[name] ?? 0) >= level)),
      );
    }
    return {
      agentId: chosen?.id ?? null,
      wakeAt: chosen === null && ends ? new Date(c.enqueuedAt.getTime() + stage.untilSeconds! * 1000) : null,
    };
  }

  it('for random plans and states, the engine routes a contact as the stages read literally', () => {
    let assigned = 0;
    let waiting = 0;
    fc.assert(
      fc.property(
        planArb,
        fc.uniqueArray(agentArb, { selector: (a) => a.id, maxLength: 5 }),
        relationsArb,
        fc.subarray(IDS, { maxLength: 2 }),
        fc.integer({ min: 0, max: 200_000 }),
        (plan, agents, relations, excludedAgentIds, waitedMs) => {
          const c = contact(plan, { relations, excludedAgentIds });
          const at = new Date(ARRIVED.getTime() + waitedMs);
          const result = decide(at, [c], agents);
          const expected = naive(c, agents, at);
          expect(result.assignments.map((a) => a.agentId)).toEqual(
            expected.agentId === null ? [] : [expected.agentId],
          );
          expect(result.stageEnds.map((s) => s.until)).toEqual(
            expected.wakeAt === null ? [] : [expected.wakeAt],
          );
          if (expected.agentId === null) waiting++;
          else assigned++;
        },
      ),
      { numRuns: 1000 },
    );
    // both outcomes are compared often: the property is not vacuous
    expect(assigned).toBeGreaterThan(30);
    expect(waiting).toBeGreaterThan(100);
  });
});
