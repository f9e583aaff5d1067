import { expect } from '@jest/globals';
import {
  validateLineQueueLimit,
  validateNeverMatch,
  validateRuleSet,
  type KnownNames,
} from './rule-set.validator';

const KNOWN: KnownNames = { skills: new Set(['billing', 'tech']), agents: new Set(['agent-1', 'agent-2']) };
const CALENDAR = {
  timeZone: 'Europe/Berlin',
  weekly: { mon: [['09:00', '17:00']] },
  holidays: ['2026-12-25'],
};
const paths = (rules: unknown, calendar: unknown = undefined) =>
  validateRuleSet(rules, calendar, KNOWN).map((problem) => problem.path);

describe('validateRuleSet', () => {
  it('accepts a full rule set, and no rules at all', () => {
    const rules = [
      { name: 'vip', when: { attributes: { segment: ['vip'] }, channel: ['voice'] }, priority: 10 },
      {
        name: 'billing',
        when: { intent: ['billing'], language: ['de'], digits: ['2'], fromPrefix: ['+49'], openCase: true },
        stages: [
          { seconds: 30, preferred: true },
          { seconds: 60, skills: { billing: 7 } },
          { seconds: 10, agents: ['agent-1'] },
          {},
        ],
        announcement: 'Please hold',
      },
      {
        name: 'closed',
        when: { businessHours: 'closed', known: false, repeatWithinDays: 7, incident: false },
        skills: { tech: 1 },
      },
      { name: 'rest' },
    ];
    expect(validateRuleSet(rules, CALENDAR, KNOWN)).toEqual([]);
    expect(validateRuleSet(undefined, undefined, KNOWN)).toEqual([]);
  });

  it('redirects, queue limits, priority growth and callbacks: lines that exist and are not this one, one overflow', () => {
    const known: KnownNames = { ...KNOWN, lines: new Set(['sales', 'service']), line: 'sales' };
    const good = [
      {
        name: 'case',
        when: { openCaseOn: ['service'] },
        redirect: { line: 'service', reason: 'open case' },
        offerCallback: true,
      },
      {
        name: 'grow',
        priorityGrowth: { by: 1, everySeconds: 60, max: 20 },
        queueLimit: { maxWaiting: 5, overflow: { refuse: true, reason: 'busy' } },
      },
    ];
    expect(validateRuleSet(good, undefined, known)).toEqual([]);
    const problems = validateRuleSet(
      [
        {
          name: 'a',
          when: { openCaseOn: ['nowhere'] },
          redirect: { line: 'sales', reason: '' },
          stages: [{}],
          offerCallback: false,
        },
        {
          name: 'b',
          when: { intent: ['x'] },
          priorityGrowth: { by: 0, everySeconds: 0, extra: 1 },
          queueLimit: { overflow: { line: 'service', callback: true } },
        },
        { name: 'c', queueLimit: { maxWaiting: 0, overflow: { line: 'nowhere' } } },
      ],
      undefined,
      known,
    ).map((p) => p.path);
    expect(problems).toEqual([
      'rules[0].when.openCaseOn[0]',
      'rules[0].redirect.line',
      'rules[0].redirect.reason',
      'rules[0].offerCallback',
      'rules[0].stages',
      'rules[1].priorityGrowth.extra',
      'rules[1].priorityGrowth.by',
      'rules[1].priorityGrowth.everySeconds',
      'rules[1].queueLimit',
      'rules[1].queueLimit.overflow',
      'rules[2].queueLimit.maxWaiting',
      'rules[2].queueLimit.overflow.line',
      'rules[2].queueLimit.overflow.reason',
    ]);
    expect(validateLineQueueLimit({ maxWaitSeconds: 60, overflow: { callback: true } }, known)).toEqual([]);
    expect(validateLineQueueLimit({ maxWaitSeconds: 60, overflow: {} }, known).map((p) => p.path)).toEqual([
      'queueLimit.overflow',
    ]);
    expect(validateLineQueueLimit(undefined, known)).toEqual([]);
  });

  it('stage end actions: one of line, callback, announcement, after stages whose last one ends', () => {
    const known: KnownNames = { ...KNOWN, lines: new Set(['sales', 'service']), line: 'sales' };
    const good = [
      {
        name: 'over',
        when: { intent: ['billing'] },
        stages: [{ seconds: 30, preferred: true }, { seconds: 60 }],
        afterStages: { line: 'service', reason: 'sales is busy' },
      },
      { name: 'cb', when: { intent: ['x'] }, stages: [{ seconds: 5 }], afterStages: { callback: true } },
      { name: 'ann', stages: [{ seconds: 5 }], afterStages: { announcement: 'Still busy, please hold' } },
    ];
    expect(validateRuleSet(good, undefined, known)).toEqual([]);
    const problems = validateRuleSet(
      [
        { name: 'a', when: { intent: ['a'] }, stages: [{ seconds: 5 }, {}], afterStages: { callback: true } },
        { name: 'b', when: { intent: ['b'] }, afterStages: { announcement: 'hi' } },
        {
          name: 'c',
          when: { intent: ['c'] },
          stages: [{ seconds: 5 }],
          afterStages: { line: 'sales', callback: true, colour: 1 },
        },
        { name: 'd', when: { intent: ['d'] }, stages: [{ seconds: 5 }], afterStages: { line: 'nowhere' } },
        {
          name: 'e',
          when: { intent: ['e'] },
          stages: [{ seconds: 5 }],
          afterStages: { announcement: '', reason: 'x' },
        },
        {
          name: 'f',
          when: { intent: ['f'] },
          redirect: { line: 'service', reason: 'case' },
          afterStages: { callback: true },
        },
        { name: 'g', when: { intent: ['g'] }, stages: [{ seconds: 5 }], afterStages: 'overflow' },
        { name: 'h', when: { intent: ['h'] }, stages: [{ seconds: 5 }], afterStages: {} },
      ],
      undefined,
      known,
    ).map((p) => p.path);
    expect(problems).toEqual([
      'rules[0].stages[1].seconds',
      'rules[1].afterStages',
      'rules[2].afterStages.colour',
      'rules[2].afterStages',
      'rules[2].afterStages.line',
      'rules[2].afterStages.reason',
      'rules[3].afterStages.line',
      'rules[3].afterStages.reason',
      'rules[4].afterStages.announcement',
      'rules[4].afterStages.reason',
      'rules[5].afterStages',
      'rules[5].afterStages',
      'rules[6].afterStages',
      'rules[7].afterStages',
    ]);
  });

  it('holdUntilOpen: true, only on a line with a calendar, not with a redirect', () => {
    const known: KnownNames = { ...KNOWN, lines: new Set(['sales', 'service']), line: 'sales' };
    const night = { name: 'night', when: { businessHours: 'closed' }, holdUntilOpen: true };
    expect(validateRuleSet([night], CALENDAR, known)).toEqual([]);
    expect(
      validateRuleSet(
        [
          { name: 'a', when: { intent: ['a'] }, holdUntilOpen: true },
          { name: 'b', when: { intent: ['b'] }, holdUntilOpen: 'yes' },
        ],
        undefined,
        known,
      ).map((p) => p.path),
    ).toEqual(['rules[0].holdUntilOpen', 'rules[1].holdUntilOpen']);
    expect(
      validateRuleSet([{ ...night, redirect: { line: 'service', reason: 'x' } }], CALENDAR, known).map(
        (p) => p.path,
      ),
    ).toEqual(['rules[0].holdUntilOpen']);
  });

  it('names the JSON path of every problem', () => {
    expect(
      paths([
        {
          name: 'a',
          when: { intent: ['billing'] },
          stages: [{ seconds: 30, preferred: true }, { skills: { billing: 11, cooking: 3 } }],
        },
        { name: 'a', colour: 'red', when: { channel: ['fax'], weekday: 'mon' } },
        { name: 'b', stages: [{ skills: { tech: 2 } }, { seconds: 5 }] },
        { name: 'c', when: { businessHours: 'open' } },
        { name: 'd', stages: [{ seconds: 5, agents: ['agent-9'], skills: { tech: 1 } }, {}] },
      ]).sort(),
    ).toEqual(
      [
        'rules[0].stages[1].skills.billing',
        'rules[0].stages[1].skills.cooking',
        'rules[1].name',
        'rules[1].colour',
        'rules[1].when.channel[0]',
        'rules[1].when.weekday',
        'rules[2].stages[1]',
        'rules[3].when.businessHours',
        'rules[3]',
        'rules[4]',
        'rules[4].stages[0]',
        'rules[4].stages[0].agents[0]',
      ].sort(),
    );
  });

  it('incident: true or false', () => {
    expect(paths([{ name: 'outage', when: { incident: true }, priority: 20 }])).toEqual([]);
    expect(validateRuleSet([{ name: 'outage', when: { incident: 'yes' } }], undefined, KNOWN)).toEqual([
      { path: 'rules[0].when.incident', message: 'must be true or false' },
    ]);
  });

  it('reports unreachable stages and rules with why', () => {
    const problems = validateRuleSet(
      [{ name: 'all' }, { name: 'never', when: { intent: ['x'] }, stages: [{}, { seconds: 3 }] }],
      undefined,
      KNOWN,
    );
    expect(problems).toEqual([
      { path: 'rules[1]', message: expect.stringMatching(/unreachable: rules\[0\] has no conditions/) },
      { path: 'rules[1].stages[1]', message: expect.stringMatching(/unreachable.*never ends/) },
    ]);
  });

  it('checks the calendar', () => {
    expect(
      paths([], {
        timeZone: 'Mars/Olympus',
        weekly: { mon: [['17:00', '09:00']], funday: [] },
        holidays: ['2026-13-01'],
      }),
    ).toEqual([
      'calendar.timeZone',
      'calendar.weekly.funday',
      'calendar.weekly.mon[0]',
      'calendar.holidays[0]',
    ]);
    expect(paths('not rules')).toEqual(['rules']);
  });

  it('checks never-match pairs against the agents and customers that exist', () => {
    const known = { ...KNOWN, deletedAgents: new Set(['agent-gone']), customers: new Set(['customer-1']) };
    expect(
      validateNeverMatch(
        [
          { agentId: 'agent-1', customerId: 'customer-1' },
          { agentId: 'agent-gone', customerId: 'customer-1' },
          { agentId: 'agent-9', customerId: 'customer-9', why: 'x' },
        ],
        known,
      ).map((p) => p.path),
    ).toEqual(['neverMatch[2].why', 'neverMatch[2].agentId', 'neverMatch[2].customerId']);
    expect(validateNeverMatch({}, known).map((p) => p.path)).toEqual(['neverMatch']);
  });
});
