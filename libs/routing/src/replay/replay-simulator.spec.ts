import { expect } from '@jest/globals';
import fc from 'fast-check';
import { mergeRoutingRules } from '../routing-rules';
import type { RoutingRules } from '../routing.types';
import { compareReplays } from './replay-report';
import { ReplaySimulator } from './replay-simulator';
import type { PresenceChange, ReplayAgent, ReplayContact, ReplayTraffic } from './replay.types';

/** Hand-computed replays on a simulated clock: every time below is seconds after T0. */
const T0 = new Date('2026-03-02T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function contact(id: string, arrival: number, overrides: Partial<ReplayContact> = {}): ReplayContact {
  return {
    id,
    channel: 'voice',
    arrivedAt: at(arrival),
    facts: { channel: 'voice', ivr: null, from: null, at: at(arrival), customer: null },
    relations: { lastAgent: null, caseOwnerId: null, caseId: null },
    redirectedIn: false,
    handlingSeconds: 60,
    abandonAt: null,
    recorded: { waitSeconds: 0, reason: 'skills', agentId: 'a', abandoned: false, otherLine: null },
    ...overrides,
  };
}

function agent(id: string, overrides: Partial<ReplayAgent> = {}): ReplayAgent {
  return { id, lines: ['sales'], skills: {}, capacity: { voice: 1 }, team: null, ...overrides };
}

function traffic(
  contacts: ReplayContact[],
  agents: ReplayAgent[],
  presence: PresenceChange[] = agents.map((a) => ({ at: T0, agentId: a.id, state: 'available' as const })),
  foreignWork: ReplayTraffic['foreignWork'] = [],
): ReplayTraffic {
  return { line: 'sales', from: T0, to: at(3600), contacts, agents, presence, foreignWork };
}

function replay(input: ReplayTraffic, rules: RoutingRules = mergeRoutingRules({})) {
  return new ReplaySimulator(input, { contactsPerPass: 200 }).run(rules).outcomes;
}

describe('ReplaySimulator', () => {
  it('queues behind a busy agent: the second caller waits for the first one to be handled, plus wrap-up', () => {
    const input = traffic([contact('c1', 0), contact('c2', 10, { handlingSeconds: 30 })], [agent('a')]);
    const [first, second] = replay(input);
    expect(first).toMatchObject({ kind: 'answered', agentId: 'a', waitSeconds: 0, reason: 'skills' });
    expect(second).toMatchObject({ kind: 'answered', agentId: 'a', waitSeconds: 50 });
    const withWrapUp = replay(input, mergeRoutingRules({ wrapUpSeconds: 10 }));
    expect(withWrapUp[1].waitSeconds).toBe(60);
  });

  it('a caller who hung up unanswered at a time hangs up then if still waiting, else is answered', () => {
    const hangsUp = contact('c2', 10, { abandonAt: at(40), handlingSeconds: null });
    const [, abandoned] = replay(traffic([contact('c1', 0), hangsUp], [agent('a')]));
    expect(abandoned).toMatchObject({ kind: 'abandoned', waitSeconds: 30, agentId: null });
    // with a second agent it is answered at once; its handling time is the recorded median (60 s)
    const [, answered] = replay(traffic([contact('c1', 0), hangsUp], [agent('a'), agent('b')]));
    expect(answered).toMatchObject({ kind: 'answered', agentId: 'b', waitSeconds: 0 });
  });

  it('capacity: an agent with two chat slots takes two chats at once, the third waits for a slot', () => {
    const chat = (id: string, arrival: number) =>
      contact(id, arrival, {
        channel: 'chat',
        facts: { channel: 'chat', ivr: null, from: null, at: at(arrival), customer: null },
        handlingSeconds: 100,
      });
    const outcomes = replay(
      traffic([chat('c1', 0), chat('c2', 1), chat('c3', 2)], [agent('a', { capacity: { chat: 2 } })]),
    );
    expect(outcomes.map((o) => o.waitSeconds)).toEqual([0, 0, 98]);
  });

  it('sticky: the last agent gets the caller; while they are busy the caller is held for the wait, then widened', () => {
    const returning = (arrival: number) =>
      contact('c1', arrival, {
        relations: { lastAgent: { agentId: 'b', connectedAt: at(-3600) }, caseOwnerId: null, caseId: null },
      });
    // b is free: sticky at once, though a has been idle longer
    const [free] = replay(
      traffic(
        [returning(0)],
        [agent('a'), agent('b')],
        [
          { at: at(-100), agentId: 'a', state: 'available' },
          { at: T0, agentId: 'b', state: 'available' },
        ],
      ),
    );
    expect(free).toMatchObject({ agentId: 'b', reason: 'sticky', waitSeconds: 0 });
    // b busy with c0 until 20 (< the 30 s wait): held for b, answered by b at 20
    const busyShort = contact('c0', -40, { handlingSeconds: 60 });
    const out = replay(
      traffic(
        [busyShort, returning(0)],
        [agent('b'), agent('a')],
        [
          { at: at(-50), agentId: 'b', state: 'available' },
          { at: at(-30), agentId: 'a', state: 'available' },
        ],
      ),
    );
    expect(out[0].agentId).toBe('b');
    expect(out[1]).toMatchObject({ agentId: 'b', reason: 'sticky', waitSeconds: 20 });
    // b busy until 50: the hold ends at 30 and a takes it by skills then
    const busyLong = contact('c0', -10, { handlingSeconds: 60 });
    const late = replay(
      traffic(
        [busyLong, returning(0)],
        [agent('b'), agent('a')],
        [
          { at: at(-50), agentId: 'b', state: 'available' },
          { at: at(-5), agentId: 'a', state: 'available' },
        ],
      ),
    );
    expect(late[1]).toMatchObject({ agentId: 'a', reason: 'skills', waitSeconds: 30 });
  });

  it('a case owner hit is counted as such', () => {
    const owned = contact('c1', 0, { relations: { lastAgent: null, caseOwnerId: 'b', caseId: 'k1' } });
    const [outcome] = replay(traffic([owned], [agent('a'), agent('b')]));
    expect(outcome).toMatchObject({ agentId: 'b', reason: 'case_owner' });
  });

  it('a stage widens exactly at its boundary (a pass is woken then), and the stage is reported', () => {
    const rules = mergeRoutingRules({
      rules: [{ name: 'billing', stages: [{ seconds: 30, skills: { billing: 7 } }, {}] }],
    });
    const expert = agent('expert', { skills: { billing: 7 } });
    const busy = contact('c0', -10, { handlingSeconds: 100 }); // the expert is busy until 90
    const outcomes = replay(
      traffic(
        [busy, contact('c1', 0)],
        [expert, agent('novice')],
        [
          { at: at(-20), agentId: 'expert', state: 'available' },
          { at: at(-1), agentId: 'novice', state: 'offline' },
          { at: at(5), agentId: 'novice', state: 'available' },
        ],
      ),
      rules,
    );
    expect(outcomes[0]).toMatchObject({ agentId: 'expert', rule: 'billing', stage: 1 });
    expect(outcomes[1]).toMatchObject({ agentId: 'novice', rule: 'billing', stage: 2, waitSeconds: 30 });
  });

  it("agents' presence over time: nobody answers before the first agent signs in", () => {
    const outcomes = replay(
      traffic(
        [contact('c1', 0)],
        [agent('a')],
        [
          { at: at(-60), agentId: 'a', state: 'offline' },
          { at: at(45), agentId: 'a', state: 'away' },
          { at: at(70), agentId: 'a', state: 'available' },
        ],
      ),
    );
    expect(outcomes[0]).toMatchObject({ kind: 'answered', waitSeconds: 70 });
    const never = replay(traffic([contact('c1', 0)], [agent('a')], []));
    expect(never[0].kind).toBe('unanswered');
  });

  it("work for another line takes the agent's slot while it lasts", () => {
    const outcomes = replay(
      traffic([contact('c1', 0)], [agent('a')], undefined, [
        { agentId: 'a', channel: 'voice', from: at(-5), to: at(25) },
      ]),
    );
    expect(outcomes[0].waitSeconds).toBe(25);
  });

  it('a redirect sends the contact to the other line (not one redirected here); a queue limit overflows', () => {
    const rules = mergeRoutingRules({
      rules: [
        { name: 'to-service', when: { intent: ['repair'] }, redirect: { line: 'service', reason: 'r' } },
      ],
      queueLimit: { maxWaiting: 1, overflow: { callback: true } },
    });
    const repair = (id: string, redirectedIn: boolean) =>
      contact(id, 0, {
        redirectedIn,
        facts: { channel: 'voice', ivr: { intent: 'repair' }, from: null, at: T0, customer: null },
      });
    const outcomes = replay(
      traffic(
        [repair('r1', false), repair('r2', true), contact('c1', 1), contact('c2', 2), contact('c3', 70)],
        [agent('a')],
      ),
      rules,
    );
    expect(outcomes.map((o) => o.kind)).toEqual([
      'redirected',
      'answered',
      'answered',
      'overflow',
      'answered',
    ]);
    expect(outcomes[0]).toMatchObject({ otherLine: 'service', rule: 'to-service' });
  });
});

describe('ReplaySimulator: agents read as the snapshot reads them', () => {
  it('property: the longest-idle agents the engine asks for (ties included) decide as every agent does', () => {
    const rules = mergeRoutingRules({
      rules: [
        {
          name: 'billing',
          when: { intent: ['billing'] },
          stages: [{ seconds: 20, skills: { billing: 7 } }, {}],
        },
      ],
    });
    const arb = fc.record({
      arrivals: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 300 }),
          intent: fc.constantFrom('billing', 'other'),
          handling: fc.integer({ min: 1, max: 400 }),
          last: fc.option(fc.integer({ min: 0, max: 19 }), { nil: null }),
        }),
        { maxLength: 60 },
      ),
      // few distinct sign-in times (many agents equally idle), few experts: a stage of experts reads past the first few
      agents: fc.array(
        fc.record({ billing: fc.constantFrom(3, 3, 3, 8), on: fc.constantFrom(0, 0, 0, 10) }),
        {
          minLength: 9,
          maxLength: 20,
        },
      ),
    });
    fc.assert(
      fc.property(arb, ({ arrivals, agents }) => {
        const contacts = arrivals
          .map((a, i) =>
            contact(`c${String(i).padStart(2, '0')}`, a.at, {
              facts: {
                channel: 'voice',
                ivr: { intent: a.intent },
                from: null,
                at: at(a.at),
                customer: null,
              },
              handlingSeconds: a.handling,
              relations: {
                lastAgent: a.last === null ? null : { agentId: `a${a.last}`, connectedAt: at(-60) },
                caseOwnerId: null,
              },
            }),
          )
          .sort((x, y) => x.arrivedAt.getTime() - y.arrivedAt.getTime());
        const input = traffic(
          contacts,
          agents.map((a, i) => agent(`a${i}`, { skills: { billing: a.billing } })),
          agents.map((a, i) => ({ at: at(a.on), agentId: `a${i}`, state: 'available' as const })),
        );
        const bounded = new ReplaySimulator(input, { contactsPerPass: 200 }).run(rules).outcomes;
        const full = new ReplaySimulator(input, { contactsPerPass: 200, allAgents: true }).run(
          rules,
        ).outcomes;
        expect(bounded).toEqual(full);
      }),
      { numRuns: 150 },
    );
  });
});

describe('compareReplays', () => {
  it('a VIP rule answers the VIP first: counted by rule, with the change in waits', () => {
    const vip = contact('vip', 20, {
      facts: {
        channel: 'voice',
        ivr: null,
        from: null,
        at: at(20),
        customer: {
          id: 'k',
          known: true,
          attributes: { segment: 'vip' },
          openCase: false,
          lastContactAt: null,
        },
      },
    });
    const contacts = [contact('c0', 0), contact('c1', 10), vip];
    const input = traffic(contacts, [agent('a')]);
    const live = mergeRoutingRules({});
    const draft = mergeRoutingRules({
      rules: [{ name: 'vip', when: { attributes: { segment: ['vip'] } }, priority: 10 }],
    });
    const simulator = new ReplaySimulator(input, { contactsPerPass: 200 });
    const report = compareReplays(contacts, simulator.run(live), simulator.run(draft), 20);
    // baseline: c0 0 s, c1 50 s (at 60), vip 100 s (at 120); draft: c0 0 s, vip 40 s (at 60), c1 110 s (at 120)
    expect(report.baseline.waitSeconds).toEqual({ mean: 50, p50: 50, p90: 100, max: 100 });
    expect(report.draft.waitSeconds).toEqual({ mean: 50, p50: 40, p90: 110, max: 110 });
    expect(report.changed).toBe(1); // the VIP: another rule; c1 is answered by the same agent, later
    expect(report.changedBy.otherRule).toBe(1);
    expect(report.byRuleAndStage).toContainEqual({
      baseline: { rule: null, stage: null },
      draft: { rule: 'vip', stage: null },
      contacts: 1,
      changed: 1,
    });
    expect(report.sample[0].contactId).toBe('vip');
    expect(report.baseline.serviceLevel).toBe(0.3333);
    expect(report.recorded.answered).toBe(3);
    // calibration: recorded waits 0 (the helper's), all answered by a, as in the baseline
    expect(report.calibration).toEqual({ meanWaitSeconds: 50, serviceLevel: -0.6667, sameAgent: 1 });
  });

  it('property: a draft equal to the live rules changes nothing, whatever the traffic', () => {
    const rules = mergeRoutingRules({
      wrapUpSeconds: 5,
      rules: [
        { name: 'vip', when: { intent: ['vip'] }, priority: 5 },
        {
          name: 'billing',
          when: { intent: ['billing'] },
          stages: [{ seconds: 20, skills: { billing: 5 } }, {}],
        },
      ],
    });
    const arb = fc.record({
      arrivals: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 600 }),
          intent: fc.constantFrom('vip', 'billing', 'other'),
          handling: fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }),
          patience: fc.option(fc.integer({ min: 0, max: 120 }), { nil: null }),
          last: fc.option(fc.constantFrom('a0', 'a1', 'a2'), { nil: null }),
        }),
        { maxLength: 40 },
      ),
      agents: fc.array(
        fc.record({ billing: fc.integer({ min: 0, max: 9 }), on: fc.integer({ min: 0, max: 300 }) }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    });
    fc.assert(
      fc.property(arb, ({ arrivals, agents }) => {
        const contacts = arrivals
          .map((a, i) =>
            contact(`c${i}`, a.at, {
              facts: {
                channel: 'voice',
                ivr: { intent: a.intent },
                from: null,
                at: at(a.at),
                customer: null,
              },
              handlingSeconds: a.handling,
              abandonAt: a.handling === null && a.patience !== null ? at(a.at + a.patience) : null,
              relations: {
                lastAgent: a.last === null ? null : { agentId: a.last, connectedAt: at(-60) },
                caseOwnerId: null,
              },
            }),
          )
          .sort((x, y) => x.arrivedAt.getTime() - y.arrivedAt.getTime());
        const input = traffic(
          contacts,
          agents.map((a, i) => agent(`a${i}`, { skills: { billing: a.billing } })),
          agents.map((a, i) => ({ at: at(a.on), agentId: `a${i}`, state: 'available' as const })),
        );
        const simulator = new ReplaySimulator(input, { contactsPerPass: 200 });
        const report = compareReplays(
          contacts,
          simulator.run(rules),
          simulator.run(structuredClone(rules)),
          20,
        );
        expect(report.changed).toBe(0);
        expect(report.draft).toEqual(report.baseline);
        // every contact has exactly one outcome, and only a contact that hung up in reality abandons
        report.byRuleAndStage.forEach((cell) => expect(cell.changed).toBe(0));
        expect(report.baseline.answered + report.baseline.abandoned + report.baseline.unanswered).toBe(
          contacts.length,
        );
      }),
      { numRuns: 200 },
    );
  });
});
