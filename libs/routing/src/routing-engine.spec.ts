import fc from 'fast-check';
import { isReady } from './pass-agent';
import { RoutingEngine } from './routing-engine';
import { mergeRoutingRules, type RoutingRulesPatch } from './routing-rules';
import {
  CHANNELS,
  type AgentCandidate,
  type Channel,
  type Line,
  type RoutingPassInput,
  type RoutingPassResult,
  type RoutingRules,
  type WaitingContact,
} from './routing.types';
import type { PlanStage } from './rule-set.types';

/** Any line names do: the engine never enumerates lines. */
const LINES: readonly Line[] = ['sales', 'presales', 'service'];

const NOW = new Date('2026-03-02T10:00:00.000Z');
const secondsAgo = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);
const secondsAhead = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);

const NO_RELATIONS = { lastAgent: null, caseOwnerId: null } as const;

/** The relations that make `agentId` preferred for a contact: last agent (recently) or case owner. */
function relatedTo(
  agentId: string,
  cause: 'last_agent' | 'case_owner' = 'last_agent',
): WaitingContact['relations'] {
  return cause === 'case_owner'
    ? { lastAgent: null, caseOwnerId: agentId }
    : { lastAgent: { agentId, connectedAt: secondsAgo(3600) }, caseOwnerId: null };
}

function makeAgent(overrides: Partial<AgentCandidate> = {}): AgentCandidate {
  return {
    id: 'a-1',
    presence: 'available',
    connected: true,
    lines: ['sales'],
    skills: {},
    capacity: { voice: 1, chat: 3 },
    load: {},
    idleSince: secondsAgo(60),
    wrapUpUntil: null,
    ...overrides,
  };
}

function makeContact(overrides: Partial<WaitingContact> = {}): WaitingContact {
  return {
    id: 'c-1',
    line: 'sales',
    channel: 'voice',
    priority: 0,
    enqueuedAt: secondsAgo(10),
    requiredSkills: {},
    relations: NO_RELATIONS,
    excludedAgentIds: [],
    ...overrides,
  };
}

function makeInput(
  contacts: WaitingContact[],
  agents: AgentCandidate[],
  rules: RoutingRulesPatch = {},
): RoutingPassInput {
  // The sticky wait is pinned here so that hold times in the tests do not move with the defaults.
  const merged = mergeRoutingRules({ ...rules, sticky: { waitSeconds: 30, ...rules.sticky } });
  return { line: 'sales', now: NOW, rules: merged, contacts, agents };
}

function decide(
  contacts: WaitingContact[],
  agents: AgentCandidate[],
  rules: RoutingRulesPatch = {},
): RoutingPassResult {
  return new RoutingEngine().decide(makeInput(contacts, agents, rules));
}

/** contactId -> agentId, the shape most assertions care about */
function assigned(result: RoutingPassResult): Record<string, string> {
  return Object.fromEntries(result.assignments.map((a) => [a.contactId, a.agentId]));
}

const waitingIds = (result: RoutingPassResult): string[] => result.waiting.map((w) => w.contactId);

describe('RoutingEngine', () => {
  describe('skills routing', () => {
    it('offers the contact to the agent who has been idle longest', () => {
      const result = decide(
        [makeContact()],
        [
          makeAgent({ id: 'a-1', idleSince: secondsAgo(10) }),
          makeAgent({ id: 'a-2', idleSince: secondsAgo(300) }),
          makeAgent({ id: 'a-3', idleSince: secondsAgo(60) }),
        ],
      );
      expect(result.assignments).toEqual([
        expect.objectContaining({ contactId: 'c-1', agentId: 'a-2', reason: 'skills' }),
      ]);
      expect(result.assignments[0].trace).toBe(
        'skills: longest idle eligible agent a-2 (idle 300s) among 3 free on line sales with voice capacity; needs no skills',
      );
      expect(result.holds).toEqual([]);
      expect(result.waiting).toEqual([]);
    });

    it('breaks idle-time ties by agent id, whatever the input order', () => {
      const idleSince = secondsAgo(60);
      const agents = [makeAgent({ id: 'a-b', idleSince }), makeAgent({ id: 'a-a', idleSince })];
      expect(assigned(decide([makeContact()], agents))).toEqual({ 'c-1': 'a-a' });
      expect(assigned(decide([makeContact()], [...agents].reverse()))).toEqual({ 'c-1': 'a-a' });
    });

    it('requires every skill at or above its minimum level; a missing skill counts as 0', () => {
      const contact = makeContact({ requiredSkills: { billing: 5, english: 3 } });
      const agents = [
        makeAgent({ id: 'a-low', skills: { billing: 4, english: 9 }, idleSince: secondsAgo(900) }),
        makeAgent({ id: 'a-missing', skills: { billing: 9 }, idleSince: secondsAgo(800) }),
        makeAgent({ id: 'a-exact', skills: { billing: 5, english: 3 }, idleSince: secondsAgo(100) }),
        makeAgent({ id: 'a-expert', skills: { billing: 10, english: 10 }, idleSince: secondsAgo(50) }),
      ];
      const result = decide([contact], agents);
      expect(assigned(result)).toEqual({ 'c-1': 'a-exact' });
      expect(result.assignments[0].trace).toContain('needs billing>=5, english>=3');
    });

    it('leaves the contact waiting, saying which skills the free agents lack, when nobody qualifies', () => {
      const result = decide(
        [makeContact({ requiredSkills: { billing: 5 } })],
        [makeAgent({ id: 'a-1', skills: { billing: 4 } }), makeAgent({ id: 'a-2' })],
      );
      expect(result.assignments).toEqual([]);
      expect(result.waiting).toEqual([
        {
          contactId: 'c-1',
          trace:
            'none of 2 free agents on line sales with voice capacity is eligible: 2 lack skill billing>=5',
        },
      ]);
    });

    it('does not count a skill named like an Object.prototype member as held', () => {
      const result = decide([makeContact({ requiredSkills: { constructor: 1 } })], [makeAgent()]);
      expect(waitingIds(result)).toEqual(['c-1']);
    });

    it('gives each contact the next qualified agent as earlier ones are taken', () => {
      const contacts = [
        makeContact({ id: 'c-1', requiredSkills: { billing: 5 }, enqueuedAt: secondsAgo(30) }),
        makeContact({ id: 'c-2', requiredSkills: { billing: 5 }, enqueuedAt: secondsAgo(20) }),
        makeContact({ id: 'c-3', requiredSkills: { billing: 5 }, enqueuedAt: secondsAgo(10) }),
        makeContact({ id: 'c-4', enqueuedAt: secondsAgo(5) }),
      ];
      const agents = [
        makeAgent({ id: 'a-1', skills: { billing: 6 }, idleSince: secondsAgo(100) }),
        makeAgent({ id: 'a-2', skills: {}, idleSince: secondsAgo(90) }),
        makeAgent({ id: 'a-3', skills: { billing: 7 }, idleSince: secondsAgo(80) }),
      ];
      const result = decide(contacts, agents);
      expect(assigned(result)).toEqual({ 'c-1': 'a-1', 'c-2': 'a-3', 'c-4': 'a-2' });
      expect(result.waiting).toEqual([
        {
          contactId: 'c-3',
          trace:
            'none of 1 free agent on line sales with voice capacity is eligible: 1 lacks skill billing>=5',
        },
      ]);
    });
  });

  describe('sticky routing', () => {
    const stickyTo = (
      agentId: string,
      overrides: Partial<WaitingContact> = {},
      cause: 'last_agent' | 'case_owner' = 'last_agent',
    ): WaitingContact => makeContact({ relations: relatedTo(agentId, cause), ...overrides });

    it('offers a returning customer to their last agent over the longest-idle one', () => {
      const result = decide(
        [stickyTo('a-1')],
        [
          makeAgent({ id: 'a-1', idleSince: secondsAgo(5) }),
          makeAgent({ id: 'a-2', idleSince: secondsAgo(500) }),
        ],
      );
      expect(result.assignments).toEqual([
        {
          contactId: 'c-1',
          agentId: 'a-1',
          reason: 'sticky',
          trace: 'sticky: last agent a-1 is free (last_agent)',
        },
      ]);
    });

    it('names the case owner when that is why the contact is sticky', () => {
      const result = decide([stickyTo('a-1', {}, 'case_owner')], [makeAgent({ id: 'a-1' })]);
      expect(result.assignments[0]).toMatchObject({ agentId: 'a-1', reason: 'case_owner' });
      expect(result.assignments[0].trace).toBe('case_owner: case owner a-1 is free (case_owner)');
    });

    it('does not require the sticky agent to have the skills', () => {
      const result = decide(
        [stickyTo('a-1', { requiredSkills: { billing: 9 } })],
        [
          makeAgent({ id: 'a-1', skills: {} }),
          makeAgent({ id: 'a-2', skills: { billing: 10 }, idleSince: secondsAgo(900) }),
        ],
      );
      expect(result.assignments).toEqual([expect.objectContaining({ agentId: 'a-1', reason: 'sticky' })]);
    });

    it('serves sticky contacts before a higher-priority contact could take their agent by idle time', () => {
      const result = decide(
        [makeContact({ id: 'c-urgent', priority: 9 }), stickyTo('a-1', { id: 'c-sticky' })],
        [
          makeAgent({ id: 'a-1', idleSince: secondsAgo(500) }),
          makeAgent({ id: 'a-2', idleSince: secondsAgo(10) }),
        ],
      );
      expect(assigned(result)).toEqual({ 'c-sticky': 'a-1', 'c-urgent': 'a-2' });
    });

    it.each<[string, Partial<AgentCandidate>, string]>([
      ['busy', { load: { voice: 1 } }, 'busy on voice'],
      ['away', { presence: 'away' }, 'away'],
      ['in wrap-up', { wrapUpUntil: secondsAhead(30) }, 'in wrap-up'],
    ])('holds the contact while the last agent is %s, until enqueuedAt + waitSeconds', (_, state, label) => {
      const result = decide(
        [stickyTo('a-1', { enqueuedAt: secondsAgo(10) })],
        [makeAgent({ id: 'a-1', ...state }), makeAgent({ id: 'a-2', idleSince: secondsAgo(900) })],
        { sticky: { waitSeconds: 30 } },
      );
      expect(result.assignments).toEqual([]);
      expect(result.waiting).toEqual([]);
      expect(result.holds).toEqual([
        {
          contactId: 'c-1',
          agentId: 'a-1',
          until: secondsAhead(20),
          trace: `held for last agent a-1 (${label}) until 2026-03-02T10:00:20.000Z`,
        },
      ]);
    });

    it('holds a second sticky contact when the first one used up the agent in this pass', () => {
      const result = decide(
        [
          stickyTo('a-1', { id: 'c-1', enqueuedAt: secondsAgo(20) }),
          stickyTo('a-1', { id: 'c-2', enqueuedAt: secondsAgo(5) }),
        ],
        [makeAgent({ id: 'a-1' }), makeAgent({ id: 'a-2' })],
      );
      expect(assigned(result)).toEqual({ 'c-1': 'a-1' });
      expect(result.holds).toEqual([
        expect.objectContaining({ contactId: 'c-2', agentId: 'a-1', until: secondsAhead(25) }),
      ]);
    });

    it('widens to other agents once the wait is over', () => {
      const result = decide(
        [stickyTo('a-1', { enqueuedAt: secondsAgo(31) })],
        [makeAgent({ id: 'a-1', load: { voice: 1 } }), makeAgent({ id: 'a-2' })],
        { sticky: { waitSeconds: 30 } },
      );
      expect(result.holds).toEqual([]);
      expect(result.assignments).toEqual([expect.objectContaining({ agentId: 'a-2', reason: 'skills' })]);
      expect(result.assignments[0].trace).toContain(
        'wait for last agent a-1 (busy on voice) ended at 2026-03-02T09:59:59.000Z',
      );
    });

    it('stops holding exactly when the wait ends', () => {
      const result = decide(
        [stickyTo('a-1', { enqueuedAt: secondsAgo(30) })],
        [makeAgent({ id: 'a-1', presence: 'away' }), makeAgent({ id: 'a-2' })],
        { sticky: { waitSeconds: 30 } },
      );
      expect(assigned(result)).toEqual({ 'c-1': 'a-2' });
    });

    it('does not hold for an offline last agent: routes at once and says why', () => {
      const result = decide(
        [stickyTo('a-1', { enqueuedAt: secondsAgo(1) })],
        [makeAgent({ id: 'a-1', presence: 'offline' }), makeAgent({ id: 'a-2' })],
      );
      expect(result.holds).toEqual([]);
      expect(assigned(result)).toEqual({ 'c-1': 'a-2' });
      expect(result.assignments[0].trace).toMatch(/^skills: .*; last agent a-1 is offline$/);
    });

    it('treats a last agent who is unknown or not on the line as offline', () => {
      const notOnLine = decide(
        [stickyTo('a-1')],
        [makeAgent({ id: 'a-1', lines: ['service'], load: { voice: 1 } }), makeAgent({ id: 'a-2' })],
      );
      expect(assigned(notOnLine)).toEqual({ 'c-1': 'a-2' });
      const unknown = decide([stickyTo('a-gone')], [makeAgent({ id: 'a-2' })]);
      expect(assigned(unknown)).toEqual({ 'c-1': 'a-2' });
      expect(unknown.assignments[0].trace).toContain('last agent a-gone is not signed in on line sales');
    });

    it('does not hold for an agent who takes no contacts on this channel at all', () => {
      const result = decide(
        [stickyTo('a-1', { channel: 'email' })],
        [makeAgent({ id: 'a-1', capacity: { voice: 1 } }), makeAgent({ id: 'a-2', capacity: { email: 5 } })],
      );
      expect(result.holds).toEqual([]);
      expect(assigned(result)).toEqual({ 'c-1': 'a-2' });
      expect(result.assignments[0].trace).toContain('last agent a-1 takes no email contacts');
    });

    it('neither holds nor prefers when sticky routing is disabled', () => {
      const agents = [
        makeAgent({ id: 'a-1', idleSince: secondsAgo(5) }),
        makeAgent({ id: 'a-2', idleSince: secondsAgo(500) }),
      ];
      const free = decide([stickyTo('a-1')], agents, { sticky: { enabled: false } });
      expect(free.assignments).toEqual([expect.objectContaining({ agentId: 'a-2', reason: 'skills' })]);

      const busy = decide(
        [stickyTo('a-1')],
        [makeAgent({ id: 'a-1', load: { voice: 1 } }), makeAgent({ id: 'a-2' })],
        {
          sticky: { enabled: false },
        },
      );
      expect(busy.holds).toEqual([]);
      expect(assigned(busy)).toEqual({ 'c-1': 'a-2' });
    });

    it('never offers the contact to a sticky agent who already declined it, nor holds for them', () => {
      const free = decide(
        [stickyTo('a-1', { excludedAgentIds: ['a-1'] })],
        [
          makeAgent({ id: 'a-1', idleSince: secondsAgo(900) }),
          makeAgent({ id: 'a-2', idleSince: secondsAgo(5) }),
        ],
      );
      expect(assigned(free)).toEqual({ 'c-1': 'a-2' });
      expect(free.assignments[0].trace).toContain('last agent a-1 already declined this contact');

      const busy = decide(
        [stickyTo('a-1', { excludedAgentIds: ['a-1'] })],
        [makeAgent({ id: 'a-1', presence: 'away' })],
      );
      expect(busy.holds).toEqual([]);
      expect(waitingIds(busy)).toEqual(['c-1']);
    });
  });

  describe('who may take a contact', () => {
    it('never chooses an excluded agent, even the longest idle', () => {
      const result = decide(
        [makeContact({ excludedAgentIds: ['a-1'] })],
        [
          makeAgent({ id: 'a-1', idleSince: secondsAgo(900) }),
          makeAgent({ id: 'a-2', idleSince: secondsAgo(5) }),
        ],
      );
      expect(assigned(result)).toEqual({ 'c-1': 'a-2' });
    });

    it('leaves a contact waiting when every free agent declined it, and still serves the next contact', () => {
      const result = decide(
        [
          makeContact({ id: 'c-1', excludedAgentIds: ['a-1'], enqueuedAt: secondsAgo(20) }),
          makeContact({ id: 'c-2' }),
        ],
        [makeAgent({ id: 'a-1' })],
      );
      expect(result.waiting).toEqual([
        {
          contactId: 'c-1',
          trace:
            'none of 1 free agent on line sales with voice capacity is eligible: 1 already declined this contact',
        },
      ]);
      expect(assigned(result)).toEqual({ 'c-2': 'a-1' });
    });

    it('keeps an agent one contact declined available to the next contact with the same needs', () => {
      const result = decide(
        [
          makeContact({
            id: 'c-1',
            requiredSkills: { billing: 5 },
            excludedAgentIds: ['a-1'],
            enqueuedAt: secondsAgo(20),
          }),
          makeContact({ id: 'c-2', requiredSkills: { billing: 5 } }),
        ],
        [
          makeAgent({ id: 'a-1', skills: { billing: 5 }, idleSince: secondsAgo(900) }),
          makeAgent({ id: 'a-2', skills: {}, idleSince: secondsAgo(800) }),
          makeAgent({ id: 'a-3', skills: { billing: 5 }, idleSince: secondsAgo(700) }),
        ],
      );
      expect(assigned(result)).toEqual({ 'c-1': 'a-3', 'c-2': 'a-1' });
    });

    it('keeps lines apart: a sales-only agent never gets a service contact', () => {
      const salesOnly = makeAgent({ id: 'a-sales', lines: ['sales'], idleSince: secondsAgo(900) });
      const alone = decide([makeContact({ line: 'service' })], [salesOnly]);
      expect(alone.assignments).toEqual([]);
      expect(alone.waiting).toEqual([
        { contactId: 'c-1', trace: 'no agent on line service with voice capacity free' },
      ]);

      const both = decide(
        [makeContact({ id: 'c-svc', line: 'service' }), makeContact({ id: 'c-sales', line: 'sales' })],
        [salesOnly, makeAgent({ id: 'a-both', lines: ['sales', 'service'], idleSince: secondsAgo(5) })],
      );
      expect(assigned(both)).toEqual({ 'c-svc': 'a-both', 'c-sales': 'a-sales' });
    });

    it('never assigns agents who are away or offline', () => {
      const result = decide(
        [makeContact()],
        [makeAgent({ id: 'a-away', presence: 'away' }), makeAgent({ id: 'a-off', presence: 'offline' })],
      );
      expect(result.assignments).toEqual([]);
      expect(waitingIds(result)).toEqual(['c-1']);
    });

    it('blocks agents in wrap-up until it ends', () => {
      const inWrapUp = decide([makeContact()], [makeAgent({ wrapUpUntil: secondsAhead(1) })]);
      expect(inWrapUp.assignments).toEqual([]);
      const justEnded = decide([makeContact()], [makeAgent({ wrapUpUntil: NOW })]);
      expect(assigned(justEnded)).toEqual({ 'c-1': 'a-1' });
    });

    it('uses each chat slot once per pass: capacity 3 with load 1 takes two more', () => {
      const contacts = [1, 2, 3, 4].map((n) =>
        makeContact({ id: `c-${n}`, channel: 'chat', enqueuedAt: secondsAgo(10 - n) }),
      );
      const result = decide(contacts, [
        makeAgent({ id: 'a-1', capacity: { chat: 3 }, load: { chat: 1 }, idleSince: secondsAgo(900) }),
        makeAgent({ id: 'a-2', capacity: { chat: 1 }, idleSince: secondsAgo(5) }),
      ]);
      expect(assigned(result)).toEqual({ 'c-1': 'a-1', 'c-2': 'a-1', 'c-3': 'a-2' });
      expect(result.waiting).toEqual([
        { contactId: 'c-4', trace: 'no agent with free capacity left on any channel' },
      ]);
    });

    it('counts capacity per channel: a voice call does not use a chat slot', () => {
      const agent = makeAgent({ capacity: { voice: 1, chat: 1 }, load: { voice: 1 } });
      const result = decide(
        [
          makeContact({ id: 'c-voice', enqueuedAt: secondsAgo(30) }),
          makeContact({ id: 'c-chat', channel: 'chat' }),
        ],
        [agent],
      );
      expect(assigned(result)).toEqual({ 'c-chat': 'a-1' });
      expect(result.waiting).toEqual([
        { contactId: 'c-voice', trace: 'no agent on line sales with voice capacity free' },
      ]);
    });

    it('treats a channel missing from capacity as one the agent cannot take', () => {
      const result = decide([makeContact({ channel: 'messenger' })], [makeAgent({ capacity: { voice: 1 } })]);
      expect(waitingIds(result)).toEqual(['c-1']);
    });
  });

  describe('queue order', () => {
    it('serves higher priority first, even if it arrived later', () => {
      const result = decide(
        [
          makeContact({ id: 'c-low', enqueuedAt: secondsAgo(600) }),
          makeContact({ id: 'c-high', priority: 5 }),
        ],
        [makeAgent()],
      );
      expect(assigned(result)).toEqual({ 'c-high': 'a-1' });
      expect(waitingIds(result)).toEqual(['c-low']);
    });

    it('serves equal priorities by arrival, then by id', () => {
      const at = secondsAgo(30);
      const contacts = [
        makeContact({ id: 'c-b', enqueuedAt: at }),
        makeContact({ id: 'c-late', enqueuedAt: secondsAgo(1) }),
        makeContact({ id: 'c-a', enqueuedAt: at }),
      ];
      const agents = [
        makeAgent({ id: 'a-1', idleSince: secondsAgo(90) }),
        makeAgent({ id: 'a-2', idleSince: secondsAgo(80) }),
      ];
      const result = decide(contacts, agents);
      expect(result.assignments.map((a) => [a.contactId, a.agentId])).toEqual([
        ['c-a', 'a-1'],
        ['c-b', 'a-2'],
      ]);
      expect(waitingIds(result)).toEqual(['c-late']);
    });

    it('a priority that grows with the wait overtakes exactly at its step (fake clock)', () => {
      const growth = { by: 2, everySeconds: 30 };
      // arrived 59.999 s ago at priority 0: one step (2), below the later VIP's 3
      const grower = (waitedMs: number) =>
        makeContact({
          id: 'c-grow',
          enqueuedAt: new Date(NOW.getTime() - waitedMs),
          plan: { rule: 'grow', stages: [], priorityGrowth: growth },
        });
      const vip = makeContact({ id: 'c-vip', priority: 3, enqueuedAt: secondsAgo(1) });
      expect(assigned(decide([grower(59_999), vip], [makeAgent()]))).toEqual({ 'c-vip': 'a-1' });
      // at 60 s: two steps (4) beat the VIP's 3
      expect(assigned(decide([grower(60_000), vip], [makeAgent()]))).toEqual({ 'c-grow': 'a-1' });
      // a cap below the VIP's priority keeps it behind however long it waits
      const capped = makeContact({
        id: 'c-grow',
        enqueuedAt: secondsAgo(3600),
        plan: { rule: 'grow', stages: [], priorityGrowth: { ...growth, max: 2 } },
      });
      expect(assigned(decide([capped, vip], [makeAgent()]))).toEqual({ 'c-vip': 'a-1' });
      // without growth, the same contact stays behind (the default: today's order)
      expect(
        assigned(decide([makeContact({ id: 'c-old', enqueuedAt: secondsAgo(3600) }), vip], [makeAgent()])),
      ).toEqual({ 'c-vip': 'a-1' });
    });

    it('lists holds and waiting contacts in queue order', () => {
      const contacts = [
        makeContact({ id: 'c-3', enqueuedAt: secondsAgo(1) }),
        makeContact({
          id: 'c-1',
          enqueuedAt: secondsAgo(3),
          relations: relatedTo('a-1', 'last_agent'),
        }),
        makeContact({
          id: 'c-2',
          enqueuedAt: secondsAgo(2),
          relations: relatedTo('a-1', 'last_agent'),
        }),
        makeContact({ id: 'c-0', enqueuedAt: secondsAgo(4) }),
      ];
      const result = decide(contacts, [makeAgent({ id: 'a-1', presence: 'away' })]);
      expect(result.holds.map((h) => h.contactId)).toEqual(['c-1', 'c-2']);
      expect(waitingIds(result)).toEqual(['c-0', 'c-3']);
    });
  });

  describe('traces', () => {
    it('gives every assignment, hold and waiting entry a trace made of ids, counts and skill names', () => {
      const result = decide(
        [
          makeContact({
            id: 'c-1',
            relations: relatedTo('a-1', 'last_agent'),
            enqueuedAt: secondsAgo(40),
          }),
          makeContact({ id: 'c-2', relations: relatedTo('a-2', 'case_owner') }),
          makeContact({ id: 'c-3', requiredSkills: { billing: 5 } }),
          makeContact({ id: 'c-4', requiredSkills: { billing: 5 }, channel: 'chat' }),
        ],
        [
          makeAgent({ id: 'a-1', skills: { billing: 6 } }),
          makeAgent({ id: 'a-2', presence: 'away' }),
          makeAgent({ id: 'a-3', skills: { billing: 2 } }),
        ],
      );
      const entries = [...result.assignments, ...result.holds, ...result.waiting];
      expect(entries).toHaveLength(4);
      for (const entry of entries) expect(entry.trace.length).toBeGreaterThan(10);
      expect(result.holds.map((h) => h.trace)).toEqual([
        'held for case owner a-2 (away) until 2026-03-02T10:00:20.000Z',
      ]);
    });

    it('is deterministic: same input, same result, whatever the input order', () => {
      const contacts = [1, 2, 3, 4, 5, 6].map((n) =>
        makeContact({ id: `c-${n}`, channel: n % 2 === 0 ? 'chat' : 'voice', enqueuedAt: secondsAgo(n % 3) }),
      );
      const agents = [1, 2, 3].map((n) => makeAgent({ id: `a-${n}`, idleSince: secondsAgo(60) }));
      const first = decide(contacts, agents);
      expect(decide([...contacts].reverse(), [...agents].reverse())).toEqual(first);
      expect(decide(contacts, agents)).toEqual(first);
    });
  });

  describe('preferred agent and reachability', () => {
    it('prefers the last agent only if that contact was within sticky.horizonDays before the arrival', () => {
      const agents = [
        makeAgent({ id: 'a-1', idleSince: secondsAgo(5) }),
        makeAgent({ id: 'a-2', idleSince: secondsAgo(500) }),
      ];
      const lastContact = (daysBeforeArrival: number): WaitingContact =>
        makeContact({
          relations: {
            lastAgent: { agentId: 'a-1', connectedAt: secondsAgo(10 + daysBeforeArrival * 86_400) },
            caseOwnerId: null,
          },
        });
      const rules = { sticky: { horizonDays: 7 } };
      expect(decide([lastContact(6.9)], agents, rules).assignments[0]).toMatchObject({
        agentId: 'a-1',
        reason: 'sticky',
      });
      expect(decide([lastContact(7)], agents, rules).assignments[0]).toMatchObject({
        agentId: 'a-2',
        reason: 'skills',
      });
    });

    it('prefers the owner of the open case over the last agent', () => {
      const contact = makeContact({
        relations: { lastAgent: { agentId: 'a-1', connectedAt: secondsAgo(60) }, caseOwnerId: 'a-2' },
      });
      const result = decide([contact], [makeAgent({ id: 'a-1' }), makeAgent({ id: 'a-2' })]);
      expect(result.assignments[0]).toMatchObject({ agentId: 'a-2', reason: 'case_owner' });
      expect(result.assignments[0].trace).toBe('case_owner: case owner a-2 is free (case_owner)');
    });

    describe("a case's customer when the owner cannot take them", () => {
      const inCase = (relations: Partial<WaitingContact['relations']>, enqueuedAgo = 5): WaitingContact =>
        makeContact({
          enqueuedAt: secondsAgo(enqueuedAgo),
          relations: { lastAgent: null, caseOwnerId: 'owner', caseId: 'k-1', ...relations },
        });
      const owner = (overrides: Partial<AgentCandidate>) => makeAgent({ id: 'owner', ...overrides });

      it('the owner offline: their deputy at once, with the reason and the why in the trace', () => {
        const result = decide(
          [inCase({ caseDeputyId: 'deputy' })],
          [
            owner({ presence: 'offline', connected: false }),
            makeAgent({ id: 'deputy', idleSince: secondsAgo(1) }),
            makeAgent({ id: 'pool', idleSince: secondsAgo(900) }),
          ],
        );
        expect(result.holds).toEqual([]);
        expect(result.assignments).toEqual([
          expect.objectContaining({ agentId: 'deputy', reason: 'deputy' }),
        ]);
        expect(result.assignments[0].trace).toBe(
          "deputy: deputy, the case owner's deputy, is free; case owner owner is offline",
        );
      });

      it('the owner busy: the caller waits for them; once the wait is over the deputy takes them', () => {
        const agents = [
          owner({ load: { voice: 1 } }),
          makeAgent({ id: 'deputy' }),
          makeAgent({ id: 'pool', idleSince: secondsAgo(900) }),
        ];
        const waiting = decide([inCase({ caseDeputyId: 'deputy' }, 5)], agents);
        expect(waiting.assignments).toEqual([]);
        expect(waiting.holds.map((h) => h.agentId)).toEqual(['owner']);
        const widened = decide([inCase({ caseDeputyId: 'deputy' }, 40)], agents);
        expect(widened.assignments).toEqual([
          expect.objectContaining({ agentId: 'deputy', reason: 'deputy' }),
        ]);
      });

      it('the deputy busy or absent: the longest-idle free member of the case team, before the pool', () => {
        const result = decide(
          [inCase({ caseDeputyId: 'deputy', caseTeam: 'billing' })],
          [
            owner({ presence: 'offline', connected: false }),
            makeAgent({ id: 'deputy', load: { voice: 1 } }),
            makeAgent({ id: 'mate-1', team: 'billing', idleSince: secondsAgo(10) }),
            makeAgent({ id: 'mate-2', team: 'billing', idleSince: secondsAgo(60) }),
            makeAgent({ id: 'pool', idleSince: secondsAgo(900) }),
          ],
        );
        expect(result.assignments).toEqual([expect.objectContaining({ agentId: 'mate-2', reason: 'team' })]);
      });

      it('a case handed to its team (no owner) goes to the team, not to the last agent', () => {
        const result = decide(
          [
            inCase({
              caseOwnerId: null,
              caseTeam: 'billing',
              lastAgent: { agentId: 'last', connectedAt: secondsAgo(60) },
            }),
          ],
          [makeAgent({ id: 'last', idleSince: secondsAgo(900) }), makeAgent({ id: 'mate', team: 'billing' })],
        );
        expect(result.assignments).toEqual([expect.objectContaining({ agentId: 'mate', reason: 'team' })]);
      });

      it('nobody of theirs free: the pool by skills, the steps tried in the trace', () => {
        const result = decide(
          [inCase({ caseDeputyId: 'deputy', caseTeam: 'billing' })],
          [owner({ presence: 'offline', connected: false }), makeAgent({ id: 'pool' })],
        );
        expect(result.assignments).toEqual([expect.objectContaining({ agentId: 'pool', reason: 'skills' })]);
        expect(result.assignments[0].trace).toContain(
          "case owner owner is offline; deputy deputy cannot take it now; nobody of the case's team billing is free",
        );
      });

      it('sticky routing off: no case routing either', () => {
        const result = decide(
          [inCase({ caseDeputyId: 'deputy' })],
          [
            makeAgent({ id: 'owner', idleSince: secondsAgo(1) }),
            makeAgent({ id: 'pool', idleSince: secondsAgo(900) }),
          ],
          { sticky: { enabled: false } },
        );
        expect(result.assignments).toEqual([expect.objectContaining({ agentId: 'pool', reason: 'skills' })]);
      });
    });

    describe('a contact transferred to an agent by name', () => {
      const transferred = (agentId: string, overrides: Partial<WaitingContact> = {}): WaitingContact =>
        makeContact({
          relations: { ...NO_RELATIONS, transfer: { kind: 'agent', agentId } },
          excludedAgentIds: ['from'],
          ...overrides,
        });

      it('goes to them when they can take it, skills aside, ahead of the longest idle', () => {
        const result = decide(
          [transferred('to', { requiredSkills: { billing: 9 } })],
          [
            makeAgent({ id: 'pool', idleSince: secondsAgo(900) }),
            makeAgent({ id: 'to', idleSince: secondsAgo(1) }),
          ],
        );
        expect(result.assignments).toEqual([
          {
            contactId: 'c-1',
            agentId: 'to',
            reason: 'transfer',
            trace: 'transfer: to agent to, who is free',
          },
        ]);
        expect(result.returned).toEqual([]);
      });

      it.each([
        ['busy', { load: { voice: 1 } }, 'has no free voice slot'],
        ['away', { presence: 'away' as const }, 'is away'],
        ['offline', { presence: 'offline' as const, connected: false }, 'is offline'],
        ['on other lines', { lines: ['service'] }, 'does not serve line sales'],
      ])('comes back at once when they are %s, and nobody else is offered it', (_label, target, why) => {
        const result = decide(
          [transferred('to')],
          [makeAgent({ id: 'to', ...target }), makeAgent({ id: 'pool' })],
        );
        expect(result.assignments).toEqual([]);
        expect(result.holds).toEqual([]);
        expect(result.returned).toEqual([{ contactId: 'c-1', reason: `agent to ${why}` }]);
      });
    });

    it('never offers to an agent without a live socket, but holds for them while signed in', () => {
      const dropped = makeAgent({ id: 'a-1', connected: false, idleSince: secondsAgo(900) });
      const skills = decide([makeContact()], [dropped, makeAgent({ id: 'a-2' })]);
      expect(assigned(skills)).toEqual({ 'c-1': 'a-2' });

      const sticky = decide(
        [makeContact({ relations: relatedTo('a-1') })],
        [dropped, makeAgent({ id: 'a-2' })],
      );
      expect(sticky.assignments).toEqual([]);
      expect(sticky.holds.map((h) => h.agentId)).toEqual(['a-1']);
      expect(sticky.holds[0].trace).toContain('(disconnected)');
    });
  });

  describe('a capped input: the longest-idle ready agents only', () => {
    it('asks for every agent when a contact found none of those it was given suitable', () => {
      const input = {
        ...makeInput([makeContact({ requiredSkills: { billing: 5 } })], [makeAgent({ id: 'a-1' })]),
        agentsComplete: false,
      };
      const result = new RoutingEngine().decide(input);
      expect(result.needsAllAgents).toBe(true);
      expect(new RoutingEngine().decide({ ...input, agentsComplete: true }).needsAllAgents).toBe(false);
    });

    it('does not ask when every contact was placed or held', () => {
      const input = {
        ...makeInput(
          [makeContact({ id: 'c-1' }), makeContact({ id: 'c-2', relations: relatedTo('a-busy') })],
          [makeAgent({ id: 'a-1' }), makeAgent({ id: 'a-busy', load: { voice: 1 } })],
        ),
        agentsComplete: false,
      };
      const result = new RoutingEngine().decide(input);
      expect(result.needsAllAgents).toBe(false);
      expect(assigned(result)).toEqual({ 'c-1': 'a-1' });
      expect(result.holds.map((h) => h.contactId)).toEqual(['c-2']);
    });

    it('asks for every agent when its skills pick is a related agent less idle than those the cap kept', () => {
      // sticky off: the last agent is no preference, but the snapshot still reads them beyond the cap; an agent the
      // cap left out (less idle than a-1, more idle than a-last) might be the real longest idle
      const input = {
        ...makeInput(
          [makeContact({ id: 'c-1' }), makeContact({ id: 'c-2', relations: relatedTo('a-last') })],
          [
            makeAgent({ id: 'a-1', idleSince: secondsAgo(60) }),
            makeAgent({ id: 'a-last', idleSince: secondsAgo(1) }),
          ],
          { sticky: { enabled: false } },
        ),
        agentsComplete: false,
      };
      expect(new RoutingEngine().decide(input).needsAllAgents).toBe(true);
      expect(new RoutingEngine().decide({ ...input, agentsComplete: true }).needsAllAgents).toBe(false);
    });

    it('sizes the read from the number of waiting contacts', () => {
      expect(RoutingEngine.readyAgentsToRead(1)).toBe(8);
      expect(RoutingEngine.readyAgentsToRead(50)).toBe(200);
    });
  });

  describe('against a naive reading of the rules (property-based)', () => {
    const AGENT_IDS = ['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'a-5'];
    const SKILLS = ['billing', 'tech', 'french'];
    const CHANNELS_USED: Channel[] = ['voice', 'chat'];

    const skillsArb = fc.dictionary(fc.constantFrom(...SKILLS), fc.integer({ min: 0, max: 4 }), {
      maxKeys: 3,
    });
    const agentsArb = fc.uniqueArray(
      fc.record({
        id: fc.constantFrom(...AGENT_IDS),
        presence: fc.constantFrom('available', 'available', 'away', 'offline' as const),
        connected: fc.constantFrom(true, true, true, false),
        lines: fc.subarray([...LINES], { minLength: 1 }),
        skills: skillsArb,
        capacity: fc.record({ voice: fc.integer({ min: 0, max: 2 }), chat: fc.integer({ min: 0, max: 3 }) }),
        load: fc.record({ voice: fc.integer({ min: 0, max: 1 }), chat: fc.integer({ min: 0, max: 2 }) }),
        idleSince: fc.integer({ min: 0, max: 3 }).map((s) => secondsAgo(s * 10)),
        team: fc.constantFrom(null, 't-1', 't-2'),
        wrapUpUntil: fc.option(
          fc.integer({ min: -2, max: 2 }).map((s) => secondsAhead(s)),
          { nil: null },
        ),
      }),
      { selector: (a) => a.id, maxLength: AGENT_IDS.length },
    );
    const contactsArb = fc.uniqueArray(
      fc.record({
        id: fc.integer({ min: 0, max: 99 }).map((n) => `c-${n}`),
        line: fc.constantFrom<Line>('sales', 'sales', 'service'),
        channel: fc.constantFrom(...CHANNELS_USED),
        priority: fc.integer({ min: 0, max: 2 }),
        enqueuedAt: fc.integer({ min: 0, max: 6 }).map((s) => secondsAgo(s * 10)),
        requiredSkills: skillsArb,
        relations: fc.oneof(
          fc.constant(NO_RELATIONS),
          fc.record({
            lastAgent: fc.record({
              agentId: fc.constantFrom(...AGENT_IDS, 'a-unknown'),
              // the default horizon is 30 days: some inside it, some just beyond
              connectedAt: fc.constantFrom(secondsAgo(60), secondsAgo(29 * 86400), secondsAgo(31 * 86400)),
            }),
            caseOwnerId: fc.constant(null),
          }),
          fc.record({ lastAgent: fc.constant(null), caseOwnerId: fc.constantFrom(...AGENT_IDS) }),
          // an open case: owned or its team's, with or without the owner's deputy and a team
          fc.record({
            lastAgent: fc.option(
              fc.record({ agentId: fc.constantFrom(...AGENT_IDS), connectedAt: fc.constant(secondsAgo(60)) }),
              { nil: null },
            ),
            caseId: fc.constant('k-1'),
            caseOwnerId: fc.option(fc.constantFrom(...AGENT_IDS), { nil: null }),
            caseDeputyId: fc.option(fc.constantFrom(...AGENT_IDS, 'a-unknown'), { nil: null }),
            caseTeam: fc.option(fc.constantFrom('t-1', 't-2', 't-none'), { nil: null }),
          }),
          // transferred to an agent by name
          fc.record({
            lastAgent: fc.constant(null),
            caseOwnerId: fc.constant(null),
            transfer: fc.record({
              kind: fc.constant('agent' as const),
              agentId: fc.constantFrom(...AGENT_IDS, 'a-unknown'),
            }),
          }),
        ),
        excludedAgentIds: fc.subarray(AGENT_IDS, { maxLength: 3 }),
        // a rule's priority growth (and no stages): the queue order is the priority grown by the time waited
        plan: fc.option(
          fc.record(
            {
              rule: fc.constant('grow'),
              stages: fc.constant<PlanStage[]>([]),
              priorityGrowth: fc.record(
                {
                  by: fc.integer({ min: 1, max: 3 }),
                  everySeconds: fc.constantFrom(5, 10, 20, 30),
                  max: fc.integer({ min: 0, max: 6 }),
                },
                { requiredKeys: ['by', 'everySeconds'] },
              ),
            },
            { requiredKeys: ['rule', 'stages', 'priorityGrowth'] },
          ),
          { nil: undefined },
        ),
      }),
      { selector: (c) => c.id, maxLength: 14 },
    );
    const rulesArb = fc
      .record({ enabled: fc.boolean(), waitSeconds: fc.constantFrom(0, 15, 30) })
      .map((sticky): RoutingRules => mergeRoutingRules({ sticky }));
    const inputArb = fc
      .record({ contacts: contactsArb, agents: agentsArb, rules: rulesArb })
      .map(({ contacts, agents, rules }): RoutingPassInput => ({
        line: 'sales',
        now: NOW,
        rules,
        contacts,
        agents,
      }));

    it('assigns, holds and leaves waiting exactly as the rules read literally', () => {
      fc.assert(
        fc.property(inputArb, (input) => {
          const actual = new RoutingEngine().decide(input);
          const expected = naiveDecide(input);
          expect(
            actual.assignments.map(({ contactId, agentId, reason }) => ({ contactId, agentId, reason })),
          ).toEqual(expected.assignments);
          expect(
            actual.holds.map(({ contactId, agentId, until }) => ({ contactId, agentId, until })),
          ).toEqual(expected.holds);
          expect(waitingIds(actual)).toEqual(expected.waiting);
          expect(actual.returned.map((r) => r.contactId)).toEqual(expected.returned);
        }),
        { numRuns: 1000 },
      );
    });

    it('decides a capped input exactly as the full one unless it asks for every agent', () => {
      // what routing_snapshot.sql reads when capped: the first `limit` ready agents with a free slot, longest idle
      // first (here across lines: restricted to one line, that is still a prefix of its order), plus every agent a
      // waiting contact is related to
      fc.assert(
        fc.property(inputArb, fc.integer({ min: 0, max: 5 }), (input, limit) => {
          const nowMs = input.now.getTime();
          const teams = new Set(input.contacts.map((c) => c.relations.caseTeam).filter(Boolean));
          const related = new Set([
            ...input.contacts.flatMap((c) => [
              c.relations.caseOwnerId,
              c.relations.caseDeputyId,
              c.relations.lastAgent?.agentId,
              c.relations.transfer?.agentId,
            ]),
            // the ready members of a waiting case's team are read whatever the cap
            ...input.agents.filter((a) => teams.has(a.team) && isReady(a, nowMs)).map((a) => a.id),
          ]);
          const readyWithSlot = input.agents
            .filter(
              (a) => isReady(a, nowMs) && CHANNELS.some((ch) => (a.capacity[ch] ?? 0) > (a.load[ch] ?? 0)),
            )
            .sort((a, b) => a.idleSince.getTime() - b.idleSince.getTime() || (a.id < b.id ? -1 : 1));
          const kept = new Set(readyWithSlot.slice(0, limit).map((a) => a.id));
          const capped = input.agents.filter((a) => kept.has(a.id) || related.has(a.id));
          const full = new RoutingEngine().decide(input);
          const partial = new RoutingEngine().decide({ ...input, agents: capped, agentsComplete: false });
          if (partial.needsAllAgents) return;
          const shape = (r: RoutingPassResult) => ({
            assignments: r.assignments.map(({ contactId, agentId, reason }) => ({
              contactId,
              agentId,
              reason,
            })),
            holds: r.holds.map(({ contactId, agentId, until }) => ({ contactId, agentId, until })),
            waiting: waitingIds(r),
          });
          expect(shape(partial)).toEqual(shape(full));
        }),
        { numRuns: 1000 },
      );
    });

    it('decides every contact exactly once and never exceeds an agent’s capacity', () => {
      fc.assert(
        fc.property(inputArb, (input) => {
          const result = new RoutingEngine().decide(input);
          const decided = [...result.assignments, ...result.holds, ...result.waiting, ...result.returned].map(
            (d) => d.contactId,
          );
          expect([...decided].sort()).toEqual(input.contacts.map((c) => c.id).sort());
          for (const agent of input.agents) {
            for (const channel of CHANNELS) {
              const given = result.assignments.filter(
                (a) =>
                  a.agentId === agent.id &&
                  input.contacts.find((c) => c.id === a.contactId)?.channel === channel,
              ).length;
              if (given > 0)
                expect((agent.load[channel] ?? 0) + given).toBeLessThanOrEqual(agent.capacity[channel] ?? 0);
            }
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});

/**
 * The rules as written, with no pools, cursors or early exits: rescans every agent for every contact.
 * The engine's shortcuts must never change an outcome, only its cost.
 */
function naiveDecide(input: RoutingPassInput): {
  assignments: { contactId: string; agentId: string; reason: string }[];
  holds: { contactId: string; agentId: string; until: Date }[];
  waiting: string[];
  returned: string[];
} {
  const nowMs = input.now.getTime();
  const load = new Map(input.agents.map((a) => [a.id, { ...a.load }]));
  // a growing priority, literally: `by` for each whole `everySeconds` waited, never above `max` (100 by default),
  // never below where it started
  const grown = (contact: WaitingContact): number => {
    const growth = contact.plan?.priorityGrowth;
    if (growth === undefined) return contact.priority;
    let priority = contact.priority;
    const waitedSeconds = (nowMs - contact.enqueuedAt.getTime()) / 1000;
    for (let at = growth.everySeconds; at <= waitedSeconds; at += growth.everySeconds) priority += growth.by;
    return Math.max(contact.priority, Math.min(growth.max ?? 100, priority));
  };
  const ordered = [...input.contacts].sort(
    (a, b) =>
      grown(b) - grown(a) ||
      a.enqueuedAt.getTime() - b.enqueuedAt.getTime() ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const isFreeFor = (agent: AgentCandidate, contact: WaitingContact): boolean =>
    agent.presence === 'available' &&
    agent.connected &&
    agent.lines.includes(contact.line) &&
    (agent.capacity[contact.channel] ?? 0) > (load.get(agent.id)?.[contact.channel] ?? 0) &&
    (agent.wrapUpUntil === null || agent.wrapUpUntil.getTime() <= nowMs) &&
    !contact.excludedAgentIds.includes(agent.id);
  const hasSkills = (agent: AgentCandidate, contact: WaitingContact): boolean =>
    Object.entries(contact.requiredSkills).every(([skill, min]) => (agent.skills[skill] ?? 0) >= min);
  const take = (agent: AgentCandidate, channel: Channel): void => {
    const agentLoad = load.get(agent.id) ?? {};
    agentLoad[channel] = (agentLoad[channel] ?? 0) + 1;
    load.set(agent.id, agentLoad);
  };

  const assignments: { contactId: string; agentId: string; reason: string }[] = [];
  const holds: { contactId: string; agentId: string; until: Date }[] = [];
  const settled = new Set<string>();
  const { sticky } = input.rules;
  const returned: string[] = [];
  for (const contact of ordered) {
    // 0. transferred to a named agent: theirs if they can take it now, else back to whoever transferred it
    const transfer = contact.relations.transfer;
    if (transfer?.kind === 'agent' && transfer.agentId !== null) {
      const target = input.agents.find((a) => a.id === transfer.agentId);
      if (target !== undefined && isFreeFor(target, contact)) {
        take(target, contact.channel);
        assignments.push({ contactId: contact.id, agentId: target.id, reason: 'transfer' });
      } else returned.push(contact.id);
      settled.add(contact.id);
      continue;
    }
    if (!sticky.enabled) continue;
    const { caseOwnerId, lastAgent, caseId, caseDeputyId, caseTeam } = contact.relations;
    const hasCase = caseOwnerId !== null || (caseId ?? null) !== null;
    const recent =
      lastAgent !== null &&
      lastAgent.connectedAt.getTime() > contact.enqueuedAt.getTime() - sticky.horizonDays * 86_400_000;
    // 1. the case owner, else (no case) the recent last agent: offered if free, held for while signed in
    const preferredId = caseOwnerId ?? (!hasCase && recent ? lastAgent.agentId : null);
    const preferred =
      preferredId === null || contact.excludedAgentIds.includes(preferredId)
        ? undefined
        : input.agents.find((a) => a.id === preferredId && a.lines.includes(contact.line));
    if (preferred !== undefined) {
      if (isFreeFor(preferred, contact)) {
        take(preferred, contact.channel);
        const reason = caseOwnerId !== null ? 'case_owner' : 'sticky';
        assignments.push({ contactId: contact.id, agentId: preferred.id, reason });
        settled.add(contact.id);
        continue;
      }
      const until = contact.enqueuedAt.getTime() + sticky.waitSeconds * 1000;
      const signedIn = preferred.presence !== 'offline';
      if (signedIn && (preferred.capacity[contact.channel] ?? 0) > 0 && nowMs < until) {
        holds.push({ contactId: contact.id, agentId: preferred.id, until: new Date(until) });
        settled.add(contact.id);
        continue;
      }
    }
    if (!hasCase) continue;
    // 2. a case's customer the owner cannot take: the owner's deputy, then the longest-idle free team member
    const deputy = input.agents.find((a) => a.id === caseDeputyId && isFreeFor(a, contact));
    if (caseDeputyId != null && deputy !== undefined) {
      take(deputy, contact.channel);
      assignments.push({ contactId: contact.id, agentId: deputy.id, reason: 'deputy' });
      settled.add(contact.id);
      continue;
    }
    const member = input.agents
      .filter((a) => caseTeam != null && a.team === caseTeam && isFreeFor(a, contact))
      .sort((a, b) => a.idleSince.getTime() - b.idleSince.getTime() || (a.id < b.id ? -1 : 1))[0];
    if (member !== undefined) {
      take(member, contact.channel);
      assignments.push({ contactId: contact.id, agentId: member.id, reason: 'team' });
      settled.add(contact.id);
    }
  }
  const waiting: string[] = [];
  for (const contact of ordered) {
    if (settled.has(contact.id)) continue;
    const chosen = input.agents
      .filter((a) => isFreeFor(a, contact) && hasSkills(a, contact))
      .sort((a, b) => a.idleSince.getTime() - b.idleSince.getTime() || (a.id < b.id ? -1 : 1))[0];
    if (chosen === undefined) {
      waiting.push(contact.id);
      continue;
    }
    take(chosen, contact.channel);
    assignments.push({ contactId: contact.id, agentId: chosen.id, reason: 'skills' });
  }
  return { assignments, holds, waiting, returned };
}
