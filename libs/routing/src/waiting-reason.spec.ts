import { mergeRoutingRules } from './routing-rules';
import { planOf } from './rule-set.compiler';
import type { AgentCandidate, WaitingContact } from './routing.types';
import { WAITING_REASONS, waitingReason } from './waiting-reason';

const ARRIVED = new Date('2026-03-02T10:00:00.000Z');
const after = (seconds: number) => new Date(ARRIVED.getTime() + seconds * 1000);
const rules = mergeRoutingRules({});

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

function contact(overrides: Partial<WaitingContact> = {}): WaitingContact {
  return {
    id: 'c-1',
    line: 'sales',
    channel: 'voice',
    priority: 0,
    enqueuedAt: ARRIVED,
    requiredSkills: {},
    relations: { lastAgent: null, caseOwnerId: null },
    excludedAgentIds: [],
    plan: null,
    ...overrides,
  };
}

const reason = (c: WaitingContact, agents: AgentCandidate[], now = after(5), notBefore?: Date) =>
  waitingReason({ line: 'sales', now, rules, contact: c, agents, notBefore });

describe('waitingReason: why a waiting contact is not offered yet', () => {
  it('nothing holds it when a qualified agent is free (the next pass offers it)', () => {
    expect(reason(contact(), [agent('a')])).toEqual({ stage: null, heldFor: null });
  });

  it('no agent with the skills, or none of them free', () => {
    const billing = contact({ requiredSkills: { billing: 5 } });
    expect(reason(billing, [agent('a', { skills: { billing: 3 } })]).heldFor).toBe(
      WAITING_REASONS.noAgentWithSkills,
    );
    expect(reason(billing, [agent('a', { skills: { billing: 5 }, presence: 'away' })]).heldFor).toBe(
      WAITING_REASONS.noFreeAgent,
    );
    expect(reason(billing, [agent('a', { skills: { billing: 5 }, load: { voice: 1 } })]).heldFor).toBe(
      WAITING_REASONS.noFreeAgent,
    );
    expect(reason(billing, [agent('a', { skills: { billing: 5 } })]).heldFor).toBeNull();
  });

  it('held for the preferred agent while they are signed in but busy and the sticky wait lasts', () => {
    const sticky = contact({
      relations: { lastAgent: { agentId: 'last', connectedAt: after(-3600) }, caseOwnerId: null },
    });
    const busy = agent('last', { load: { voice: 1 } });
    expect(reason(sticky, [busy, agent('other')]).heldFor).toBe(WAITING_REASONS.preferredAgent);
    // the wait is over (30 s by default), or the agent is offline: no longer held for them
    expect(reason(sticky, [busy, agent('other')], after(31)).heldFor).toBeNull();
    expect(reason(sticky, [agent('last', { presence: 'offline' }), agent('other')]).heldFor).toBeNull();
  });

  it('a callback before its window, a transfer to a named agent', () => {
    expect(reason(contact(), [agent('a')], after(5), after(600)).heldFor).toBe(
      WAITING_REASONS.callbackWindow,
    );
    const transfer = contact({
      relations: { lastAgent: null, caseOwnerId: null, transfer: { kind: 'agent', agentId: 'x' } },
    });
    expect(reason(transfer, [agent('a')]).heldFor).toBe(WAITING_REASONS.transferToAgent);
  });

  it("a plan's stage: its number, and who it waits for", () => {
    const plan = planOf({ name: 'billing', stages: [{ seconds: 30, skills: { billing: 7 } }, {}] })!;
    const staged = contact({ plan });
    const novice = agent('novice', { skills: { billing: 3 } });
    expect(reason(staged, [novice], after(10))).toEqual({
      stage: 1,
      heldFor: `stage 1: ${WAITING_REASONS.noAgentWithSkills} (agents with billing>=7)`,
    });
    expect(reason(staged, [novice], after(40))).toEqual({ stage: 2, heldFor: null });
  });
});
