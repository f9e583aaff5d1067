import { RoutingEngine } from './routing-engine';
import { mergeRoutingRules, type RoutingRulesPatch } from './routing-rules';
import type { AgentCandidate, RoutingPassResult, WaitingContact } from './routing.types';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const secondsAgo = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);

function agent(id: string, overrides: Partial<AgentCandidate> = {}): AgentCandidate {
  return {
    id,
    presence: 'available',
    connected: true,
    lines: ['service'],
    skills: {},
    capacity: { voice: 1, chat: 3, email: 5 },
    load: {},
    idleSince: secondsAgo(60),
    wrapUpUntil: null,
    ...overrides,
  };
}

function contact(id: string, channel: WaitingContact['channel'], waited = 10): WaitingContact {
  return {
    id,
    line: 'service',
    channel,
    priority: 0,
    enqueuedAt: secondsAgo(waited),
    requiredSkills: {},
    relations: { lastAgent: null, caseOwnerId: null },
    excludedAgentIds: [],
  };
}

function decide(
  contacts: WaitingContact[],
  agents: AgentCandidate[],
  rules: RoutingRulesPatch = {},
): RoutingPassResult {
  return new RoutingEngine().decide({
    line: 'service',
    now: NOW,
    rules: mergeRoutingRules(rules),
    contacts,
    agents,
  });
}

const pairs = (result: RoutingPassResult) => result.assignments.map((a) => `${a.contactId}>${a.agentId}`);

describe('a line’s cross-channel capacity rule', () => {
  const noChatsDuringCalls: RoutingRulesPatch = { crossChannel: { blocks: { voice: ['chat'] } } };

  it('without a rule, an agent on a call is offered a chat (each channel’s capacity alone)', () => {
    const result = decide([contact('chat-1', 'chat')], [agent('a', { load: { voice: 1 } })]);
    expect(pairs(result)).toEqual(['chat-1>a']);
  });

  it('blocks: an agent holding a call is offered no chat, but still an e-mail', () => {
    const result = decide(
      [contact('chat-1', 'chat', 20), contact('mail-1', 'email', 10)],
      [agent('a', { load: { voice: 1 } })],
      noChatsDuringCalls,
    );
    expect(pairs(result)).toEqual(['mail-1>a']);
    expect(result.waiting.find((w) => w.contactId === 'chat-1')?.trace).toContain('chat');
  });

  it('blocks: a call assigned in the same pass closes the agent’s chats for the rest of the pass', () => {
    const result = decide(
      [contact('call-1', 'voice', 30), contact('chat-1', 'chat', 20)],
      [agent('a')],
      noChatsDuringCalls,
    );
    expect(pairs(result)).toEqual(['call-1>a']);
  });

  it('blocks: chats held do not block a call (only what the rule names)', () => {
    const result = decide(
      [contact('call-1', 'voice')],
      [agent('a', { load: { chat: 2 } })],
      noChatsDuringCalls,
    );
    expect(pairs(result)).toEqual(['call-1>a']);
  });

  it('a weighted total: a call (3) fills an agent of 3; chats (1) add up to it', () => {
    const weighted: RoutingRulesPatch = { crossChannel: { weights: { voice: 3, chat: 1 }, maxWeight: 3 } };
    expect(
      pairs(decide([contact('call-1', 'voice')], [agent('a', { load: { chat: 1 } })], weighted)),
    ).toEqual([]);
    expect(pairs(decide([contact('call-1', 'voice')], [agent('a')], weighted))).toEqual(['call-1>a']);
    const chats = [1, 2, 3, 4].map((i) => contact(`chat-${i}`, 'chat', 10 - i));
    expect(pairs(decide(chats, [agent('a', { capacity: { voice: 1, chat: 5 } })], weighted))).toEqual([
      'chat-1>a',
      'chat-2>a',
      'chat-3>a',
    ]);
  });

  it('the contact goes to another agent the rule leaves free', () => {
    const result = decide(
      [contact('chat-1', 'chat')],
      [agent('busy', { load: { voice: 1 }, idleSince: secondsAgo(600) }), agent('free')],
      noChatsDuringCalls,
    );
    expect(pairs(result)).toEqual(['chat-1>free']);
  });
});
