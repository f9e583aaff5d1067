import { expect } from '@jest/globals';
import { mergeRoutingRules } from './routing-rules';
import { explainStages } from './routing-explainer';
import { planOf } from './rule-set.compiler';
import type { AgentCandidate, WaitingContact } from './routing.types';

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
    idleSince: after(-60),
    wrapUpUntil: null,
    ...overrides,
  };
}

describe('explainStages', () => {
  const plan = planOf({
    name: 'r',
    stages: [
      { seconds: 30, preferred: true },
      { seconds: 30, agents: ['named'] },
      { skills: { billing: 7 } },
    ],
  });
  const contact: WaitingContact = {
    id: 'c',
    line: 'sales',
    channel: 'voice',
    priority: 0,
    enqueuedAt: ARRIVED,
    requiredSkills: {},
    relations: { lastAgent: { agentId: 'last', connectedAt: after(-3600) }, caseOwnerId: null },
    excludedAgentIds: ['declined'],
    plan,
  };
  const agents = [
    agent('last', { presence: 'away', idleSince: after(-500) }),
    agent('named', { load: { voice: 1 }, idleSince: after(-400) }),
    agent('expert', { skills: { billing: 8 }, idleSince: after(-300) }),
    agent('novice', { skills: { billing: 2 }, idleSince: after(-200) }),
    agent('declined', { skills: { billing: 9 }, idleSince: after(-100) }),
    agent('chatty', { skills: { billing: 9 }, capacity: { chat: 3 }, idleSince: after(-50) }),
    agent('wrapping', { skills: { billing: 9 }, wrapUpUntil: after(100), idleSince: after(-40) }),
  ];

  it('judges every agent of the line against each stage, longest idle first, and marks the current stage', () => {
    const stages = explainStages({
      line: 'sales',
      now: after(65),
      rules: mergeRoutingRules({ sticky: { enabled: false } }),
      contact,
      agents,
      takenAgentIds: new Set(['expert']),
    });
    expect(stages.map((s) => [s.stage, s.untilSeconds, s.current, s.target])).toEqual([
      [1, 30, false, "the customer's case owner, else their last agent on the line"],
      [2, 60, false, 'the agents named'],
      [3, null, true, 'agents with billing>=7'],
    ]);
    expect(stages[0].candidates.slice(0, 2)).toEqual([
      { agentId: 'last', eligible: false, why: 'is away' },
      { agentId: 'named', eligible: false, why: "is not the customer's case owner or last agent" },
    ]);
    expect(stages[1].candidates[1]).toEqual({
      agentId: 'named',
      eligible: false,
      why: 'has no free voice slot',
    });
    expect(stages[2].candidates).toEqual([
      { agentId: 'last', eligible: false, why: 'lacks billing>=7 (has 0)' },
      { agentId: 'named', eligible: false, why: 'lacks billing>=7 (has 0)' },
      { agentId: 'expert', eligible: false, why: 'goes to a contact ahead in the queue in this pass' },
      { agentId: 'novice', eligible: false, why: 'lacks billing>=7 (has 2)' },
      { agentId: 'declined', eligible: false, why: 'already declined this contact' },
      { agentId: 'chatty', eligible: false, why: 'takes no voice contacts' },
      { agentId: 'wrapping', eligible: false, why: `is in wrap-up until ${after(100).toISOString()}` },
    ]);
  });
});
