import { expect } from '@jest/globals';
import fc from 'fast-check';
import { mergeRoutingRules, requiredSkillsFor } from './routing-rules';
import { CompiledRuleSet, NO_CUSTOMER, planOf, stageEndActionDueSeconds } from './rule-set.compiler';
import type { RoutingRules } from './routing.types';
import type {
  ArrivalDecision,
  BusinessCalendar,
  ContactFacts,
  RoutingRule,
  RuleCondition,
} from './rule-set.types';
import { validateLineQueueLimit, validateRuleSet } from './rule-set.validator';

const AT = new Date('2026-03-02T10:00:00.000Z'); // a Monday: 11:00 in Berlin, 05:00 in New York

function facts(overrides: Partial<ContactFacts> = {}): ContactFacts {
  return { channel: 'voice', ivr: null, from: '+4930123456', at: AT, customer: null, ...overrides };
}

function compile(rules: RoutingRule[], calendar?: BusinessCalendar, intents = {}): CompiledRuleSet {
  return CompiledRuleSet.for(mergeRoutingRules({ rules, calendar, intents }));
}

const BERLIN: BusinessCalendar = {
  timeZone: 'Europe/Berlin',
  weekly: {
    mon: [
      ['09:00', '12:00'],
      ['13:00', '17:00'],
    ],
    tue: [['09:00', '17:00']],
  },
  holidays: ['2026-03-03'],
};

describe('CompiledRuleSet', () => {
  it('without rules decides exactly as the intents do', () => {
    const rules = mergeRoutingRules({ intents: { billing: { skills: { billing: 5 }, priority: 3 } } });
    for (const intent of ['billing', 'other', undefined]) {
      const decision = CompiledRuleSet.for(rules).decide(facts({ ivr: intent ? { intent } : null }));
      expect(decision).toEqual({
        rule: null,
        ...requiredSkillsFor(rules, intent),
        announcement: null,
        plan: null,
        redirect: null,
        queueLimit: null,
        offerCallback: false,
        holdUntil: null,
      });
    }
  });

  it('the first matching rule decides what it states; the intents fill in the rest', () => {
    const set = compile(
      [
        { name: 'vip', when: { attributes: { segment: ['vip', 'gold'] } }, priority: 10 },
        { name: 'german', when: { language: ['de'] }, skills: { german: 3 }, announcement: 'Hallo' },
      ],
      undefined,
      { billing: { skills: { billing: 5 }, priority: 2 } },
    );
    const vip = { ...NO_CUSTOMER, attributes: { segment: 'gold' } };
    expect(set.decide(facts({ customer: vip, ivr: { intent: 'billing', language: 'de' } }))).toEqual({
      rule: 'vip',
      priority: 10,
      skills: { billing: 5 },
      announcement: null,
      plan: null,
      redirect: null,
      queueLimit: null,
      offerCallback: false,
      holdUntil: null,
    });
    expect(set.decide(facts({ ivr: { intent: 'billing', language: 'de' } }))).toEqual({
      rule: 'german',
      priority: 2,
      skills: { german: 3 },
      announcement: 'Hallo',
      plan: null,
      redirect: null,
      queueLimit: null,
      offerCallback: false,
      holdUntil: null,
    });
    expect(set.needsCustomer).toBe(true);
    expect(compile([{ name: 'de', when: { language: ['de'] } }]).needsCustomer).toBe(false);
  });

  it('business hours follow the time zone, the weekly intervals (end exclusive) and holidays', () => {
    const set = compile(
      [{ name: 'closed', when: { businessHours: 'closed' }, announcement: 'closed' }],
      BERLIN,
    );
    const closedAt = (iso: string) => set.decide(facts({ at: new Date(iso) })).rule === 'closed';
    expect(closedAt('2026-03-02T10:00:00Z')).toBe(false); // Mon 11:00 Berlin
    expect(closedAt('2026-03-02T11:00:00Z')).toBe(true); // Mon 12:00: lunch
    expect(closedAt('2026-03-02T11:59:59Z')).toBe(true);
    expect(closedAt('2026-03-02T12:00:00Z')).toBe(false); // 13:00
    expect(closedAt('2026-03-02T16:00:00Z')).toBe(true); // 17:00
    expect(closedAt('2026-03-03T10:00:00Z')).toBe(true); // Tue: a holiday
    expect(closedAt('2026-03-04T10:00:00Z')).toBe(true); // Wed: no hours
    // summer time: 09:00 in Berlin is 07:00 UTC
    expect(
      compile([{ name: 'open', when: { businessHours: 'open' } }], {
        ...BERLIN,
        weekly: { mon: [['09:00', '10:00']] },
      }).decide(facts({ at: new Date('2026-07-06T07:30:00Z') })).rule,
    ).toBe('open');
  });

  it('repeat contacts, open cases, known callers and number prefixes', () => {
    const set = compile([
      { name: 'repeat', when: { repeatWithinDays: 3, openCase: true } },
      { name: 'known-de', when: { known: true, fromPrefix: ['+49'] } },
    ]);
    const customer = {
      known: true,
      attributes: {},
      openCase: true,
      lastContactAt: new Date(AT.getTime() - 3 * 86400_000),
    };
    expect(set.decide(facts({ customer })).rule).toBe('repeat');
    expect(
      set.decide(
        facts({ customer: { ...customer, lastContactAt: new Date(AT.getTime() - 3 * 86400_000 - 1) } }),
      ).rule,
    ).toBe('known-de');
    expect(set.decide(facts({ customer, from: '+1555' })).rule).toBe('repeat');
    expect(set.decide(facts({ customer: { ...customer, openCase: false }, from: '+1555' })).rule).toBeNull();
  });

  it('an active incident: the rule matches a caller it affects, known or not, and makes intake read the caller', () => {
    const set = compile([
      { name: 'outage', when: { incident: true }, priority: 40 },
      { name: 'calm', when: { incident: false, known: true } },
    ]);
    expect(set.needsCustomer).toBe(true);
    const affected = { ...NO_CUSTOMER, activeIncident: true };
    expect(set.decide(facts({ customer: affected })).rule).toBe('outage');
    expect(set.decide(facts({ customer: affected })).priority).toBe(40);
    expect(set.decide(facts({ customer: { ...affected, known: true, activeIncident: false } })).rule).toBe(
      'calm',
    );
    // no facts read (not on record, no incident): nothing affects the caller
    expect(set.decide(facts({ customer: null })).rule).toBeNull();
  });

  it('never-match pairs name the agents excluded for a customer, and make intake read the customer', () => {
    const set = CompiledRuleSet.for(
      mergeRoutingRules({
        neverMatch: [
          { agentId: 'a1', customerId: 'c1' },
          { agentId: 'a2', customerId: 'c1' },
          { agentId: 'a1', customerId: 'c1' },
        ],
      }),
    );
    expect(set.needsCustomer).toBe(true);
    expect(set.neverMatchedWith({ ...NO_CUSTOMER, id: 'c1' })).toEqual(['a1', 'a2']);
    expect(set.neverMatchedWith({ ...NO_CUSTOMER, id: 'c2' })).toEqual([]);
    expect(set.neverMatchedWith(null)).toEqual([]);
    expect(CompiledRuleSet.for(mergeRoutingRules()).needsCustomer).toBe(false);
  });

  it('redirect, queue limits (the rule’s, else the line’s), callbacks and priority growth are decided at arrival', () => {
    const lineLimit = { maxWaiting: 5, overflow: { callback: true as const } };
    const ruleLimit = { maxWaitSeconds: 60, overflow: { line: 'service', reason: 'busy' } };
    const rules = mergeRoutingRules({
      queueLimit: lineLimit,
      rules: [
        {
          name: 'service-case',
          when: { openCaseOn: ['service'] },
          redirect: { line: 'service', reason: 'open case' },
        },
        { name: 'night', when: { intent: ['night'] }, offerCallback: true },
        {
          name: 'grow',
          when: { intent: ['grow'] },
          priorityGrowth: { by: 2, everySeconds: 30 },
          queueLimit: ruleLimit,
        },
      ],
    });
    const set = CompiledRuleSet.for(rules);
    const withCase = { ...NO_CUSTOMER, openCaseLines: ['service'] };
    expect(set.decide(facts({ customer: withCase }))).toEqual(
      expect.objectContaining({
        rule: 'service-case',
        redirect: { line: 'service', reason: 'open case' },
        queueLimit: lineLimit,
      }),
    );
    expect(set.needsCustomer).toBe(true);
    expect(set.decide(facts({ ivr: { intent: 'night' } }))).toEqual(
      expect.objectContaining({ rule: 'night', offerCallback: true, redirect: null }),
    );
    expect(set.decide(facts({ ivr: { intent: 'grow' } }))).toEqual(
      expect.objectContaining({
        rule: 'grow',
        queueLimit: ruleLimit,
        plan: { rule: 'grow', priorityGrowth: { by: 2, everySeconds: 30 }, stages: [] },
        skills: {},
      }),
    );
    expect(set.decide(facts())).toEqual(
      expect.objectContaining({ rule: null, queueLimit: lineLimit, offerCallback: false }),
    );
  });

  it('stages become a plan with ends counted from arrival', () => {
    expect(
      planOf({
        name: 'r',
        stages: [{ seconds: 30, preferred: true }, { seconds: 60, skills: { billing: 7 } }, {}],
      }),
    ).toEqual({
      rule: 'r',
      stages: [
        { untilSeconds: 30, preferred: true },
        { untilSeconds: 90, skills: { billing: 7 } },
        { untilSeconds: null },
      ],
    });
  });

  it('holdUntilOpen while the calendar is closed: held until it opens, the stages counted from then; open: no hold', () => {
    const set = compile(
      [
        {
          name: 'night',
          when: { businessHours: 'closed' },
          holdUntilOpen: true,
          stages: [{ seconds: 30, preferred: true }, {}],
        },
        { name: 'day' },
      ],
      { timeZone: 'UTC', weekly: { tue: [['09:00', '17:00']] } },
    );
    const closed = set.decide(facts({ at: new Date('2026-12-01T08:00:00.000Z') }));
    expect(closed.rule).toBe('night');
    expect(closed.holdUntil?.toISOString()).toBe('2026-12-01T09:00:00.000Z');
    expect(closed.plan?.stages.map((s) => s.untilSeconds)).toEqual([3600 + 30, null]);
    const open = set.decide(facts({ at: new Date('2026-12-01T10:00:00.000Z') }));
    expect(open).toEqual(expect.objectContaining({ rule: 'day', holdUntil: null }));
  });

  it('a stage end action goes with the plan, due when the last stage ends; none: no action', () => {
    const plan = planOf({
      name: 'r',
      stages: [{ seconds: 2, skills: { billing: 7 } }, { seconds: 3 }],
      afterStages: { line: 'service', reason: 'busy' },
    });
    expect(plan).toEqual({
      rule: 'r',
      stages: [{ untilSeconds: 2, skills: { billing: 7 } }, { untilSeconds: 5 }],
      afterStages: { line: 'service', reason: 'busy' },
    });
    expect(stageEndActionDueSeconds(plan)).toBe(5);
    expect(stageEndActionDueSeconds(planOf({ name: 'r', stages: [{ seconds: 2 }, {}] }))).toBeNull();
    expect(stageEndActionDueSeconds(null)).toBeNull();
  });
});

// ------------------------------------------------------------------ property: compiled = a straightforward reading

/** The rules read the simplest way, field by field, on every call: what the compiled form must agree with. */
function interpret(rules: RoutingRules, contact: ContactFacts): ArrivalDecision {
  const base = requiredSkillsFor(rules, contact.ivr?.intent);
  const customer = contact.customer ?? NO_CUSTOMER;
  for (const rule of rules.rules ?? []) {
    const when = rule.when ?? {};
    const ok =
      (when.channel === undefined || when.channel.includes(contact.channel)) &&
      (when.intent === undefined ||
        (contact.ivr?.intent !== undefined && when.intent.includes(contact.ivr.intent))) &&
      (when.digits === undefined ||
        (contact.ivr?.digits !== undefined && when.digits.includes(contact.ivr.digits))) &&
      (when.language === undefined ||
        (contact.ivr?.language !== undefined && when.language.includes(contact.ivr.language))) &&
      (when.fromPrefix === undefined || when.fromPrefix.some((p) => contact.from?.startsWith(p) === true)) &&
      (when.businessHours === undefined ||
        (rules.calendar === undefined
          ? 'open'
          : naiveOpen(rules.calendar, contact.at)
            ? 'open'
            : 'closed') === when.businessHours) &&
      (when.known === undefined || when.known === customer.known) &&
      (when.openCase === undefined || when.openCase === customer.openCase) &&
      (when.incident === undefined || when.incident === (customer.activeIncident === true)) &&
      (when.openCaseOn === undefined ||
        when.openCaseOn.some((line) => customer.openCaseLines?.includes(line) === true)) &&
      (when.repeatWithinDays === undefined ||
        (customer.lastContactAt !== null &&
          contact.at.getTime() - customer.lastContactAt.getTime() <= when.repeatWithinDays * 86400_000)) &&
      (when.attributes === undefined ||
        Object.entries(when.attributes).every(
          ([key, values]) => key in customer.attributes && values.some((v) => v === customer.attributes[key]),
        ));
    if (!ok) continue;
    return {
      rule: rule.name,
      priority: rule.priority ?? base.priority,
      skills: rule.skills ?? (rule.stages !== undefined && rule.stages.length > 0 ? {} : base.skills),
      announcement: rule.announcement ?? null,
      plan: planOf(rule),
      redirect: rule.redirect ?? null,
      queueLimit: rule.queueLimit ?? rules.queueLimit ?? null,
      offerCallback: rule.offerCallback ?? false,
      // the generated rule sets hold nothing (holdUntilOpen has its own example above)
      holdUntil: null,
    };
  }
  return {
    rule: null,
    ...base,
    announcement: null,
    plan: null,
    redirect: null,
    queueLimit: rules.queueLimit ?? null,
    offerCallback: false,
    holdUntil: null,
  };
}

function naiveOpen(calendar: BusinessCalendar, at: Date): boolean {
  const local = new Date(at.toLocaleString('en-US', { timeZone: calendar.timeZone }));
  const date = `${local.getFullYear()}-${String(local.getMonth() + 1).padStart(2, '0')}-${String(local.getDate()).padStart(2, '0')}`;
  if ((calendar.holidays ?? []).includes(date)) return false;
  const day = (['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const)[local.getDay()];
  const minute = local.getHours() * 60 + local.getMinutes();
  const toMinute = (t: string) => Number(t.split(':')[0]) * 60 + Number(t.split(':')[1]);
  return (calendar.weekly[day] ?? []).some(([from, to]) => minute >= toMinute(from) && minute < toMinute(to));
}

const CONDITION_KEYS = [
  'intent',
  'digits',
  'language',
  'channel',
  'fromPrefix',
  'known',
  'openCase',
  'openCaseOn',
  'repeatWithinDays',
  'businessHours',
  'attributes',
  'incident',
] as const;

describe('CompiledRuleSet (property)', () => {
  const word = fc.constantFrom('a', 'b', 'c');
  const digit = fc.constantFrom('1', '2', '#');
  const list = fc.uniqueArray(word, { minLength: 1, maxLength: 2 });
  const time = fc.integer({ min: 0, max: 23 }).map((h) => `${String(h).padStart(2, '0')}:00`);
  const calendarArb: fc.Arbitrary<BusinessCalendar> = fc.record({
    timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
    weekly: fc.dictionary(
      fc.constantFrom('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'),
      fc.array(
        fc.tuple(time, time).filter(([a, b]) => a < b),
        { maxLength: 2 },
      ),
    ),
    holidays: fc.array(fc.constantFrom('2026-03-02', '2026-03-03', '2026-07-04'), { maxLength: 2 }),
  });
  const fullConditionArb = fc.record({
    intent: list,
    digits: fc.uniqueArray(digit, { minLength: 1, maxLength: 2 }),
    language: list,
    channel: fc.uniqueArray(fc.constantFrom('voice' as const, 'chat' as const), {
      minLength: 1,
      maxLength: 2,
    }),
    fromPrefix: fc.uniqueArray(fc.constantFrom('+1', '+49', '+4930'), { minLength: 1, maxLength: 2 }),
    known: fc.boolean(),
    openCase: fc.boolean(),
    incident: fc.boolean(),
    openCaseOn: fc.uniqueArray(fc.constantFrom('sales', 'service'), { minLength: 1, maxLength: 2 }),
    repeatWithinDays: fc.integer({ min: 1, max: 5 }),
    businessHours: fc.constantFrom('open' as const, 'closed' as const),
    attributes: fc.dictionary(
      fc.constantFrom('segment', 'vip'),
      fc.array(fc.constantFrom<string | boolean>('a', 'b', true), { minLength: 1, maxLength: 2 }),
      { minKeys: 1, maxKeys: 2 },
    ),
  });
  // up to two conditions per rule (a conjunction of many almost never holds, which would leave little to compare)
  const conditionArb: fc.Arbitrary<RuleCondition> = fc
    .tuple(fullConditionArb, fc.shuffledSubarray([...CONDITION_KEYS], { maxLength: 2 }))
    .map(([full, keys]) => Object.fromEntries(keys.map((key) => [key, full[key]])) as RuleCondition);
  const queueLimitArb = fc.record(
    {
      maxWaiting: fc.integer({ min: 1, max: 10 }),
      maxWaitSeconds: fc.integer({ min: 1, max: 600 }),
      overflow: fc.oneof(
        fc.record({ line: fc.constantFrom('service', 'support'), reason: fc.constantFrom('full') }),
        fc.constant({ callback: true as const }),
        fc.constant({ refuse: true as const, reason: 'closed' }),
      ),
    },
    { requiredKeys: ['maxWaiting', 'overflow'] },
  );
  const ruleArb = fc.record(
    {
      when: conditionArb,
      priority: fc.integer({ min: -3, max: 3 }),
      skills: fc.dictionary(word, fc.integer({ min: 1, max: 10 }), { maxKeys: 2 }),
      stages: fc.array(
        fc.record({
          seconds: fc.integer({ min: 1, max: 90 }),
          skills: fc.dictionary(word, fc.integer({ min: 1, max: 10 }), { maxKeys: 1 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      announcement: fc.constantFrom('x', 'y'),
      priorityGrowth: fc.record(
        {
          by: fc.integer({ min: 1, max: 5 }),
          everySeconds: fc.integer({ min: 1, max: 120 }),
          max: fc.integer({ min: -5, max: 50 }),
        },
        { requiredKeys: ['by', 'everySeconds'] },
      ),
      redirect: fc.record({
        line: fc.constantFrom('service', 'support'),
        reason: fc.constantFrom('r1', 'r2'),
      }),
      queueLimit: queueLimitArb,
      offerCallback: fc.constant(true as const),
    },
    // `when` always (an empty one matches every contact): a rule after one without it is rejected as unreachable
    { requiredKeys: ['when'] },
  );
  const rulesArb = fc
    .tuple(fc.array(ruleArb, { maxLength: 6 }), calendarArb, fc.option(queueLimitArb, { nil: undefined }))
    .map(([rules, calendar, queueLimit]) =>
      mergeRoutingRules({
        intents: { a: { skills: { a: 2 }, priority: 1 } },
        calendar,
        queueLimit,
        // a rule with stages names no skills of its own, a redirected one nothing the other line decides (the
        // validator's rules)
        rules: rules.map((rule, i) => {
          const named = { name: `r${i}`, ...rule, ...(rule.stages ? { skills: undefined } : {}) };
          if (rule.redirect === undefined) return named;
          const { stages: _s, skills: _k, priorityGrowth: _g, queueLimit: _q, ...redirected } = named;
          return redirected;
        }),
      }),
    );
  const factsArb: fc.Arbitrary<ContactFacts> = fc.record({
    channel: fc.constantFrom('voice' as const, 'chat' as const),
    ivr: fc.option(fc.record({ intent: word, digits: digit, language: word }, { requiredKeys: [] }), {
      nil: null,
    }),
    from: fc.option(fc.constantFrom('+15551234', '+4930999', '+4989111'), { nil: null }),
    at: fc.date({
      min: new Date('2026-01-01T00:00:00Z'),
      max: new Date('2026-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
    customer: fc.option(
      fc.record({
        known: fc.boolean(),
        attributes: fc.dictionary(
          fc.constantFrom('segment', 'vip'),
          fc.constantFrom<unknown>('a', 'b', true, 1),
        ),
        openCase: fc.boolean(),
        activeIncident: fc.option(fc.boolean(), { nil: undefined }),
        openCaseLines: fc.uniqueArray(fc.constantFrom('sales', 'service'), { maxLength: 2 }),
        lastContactAt: fc.option(
          fc.date({
            min: new Date('2025-12-20T00:00:00Z'),
            max: new Date('2026-12-31T00:00:00Z'),
            noInvalidDate: true,
          }),
          { nil: null },
        ),
      }),
      { nil: null },
    ),
  });

  it('for random rule sets and contacts, the compiled rules decide as the straightforward reading does', () => {
    let matched = 0;
    let unmatched = 0;
    fc.assert(
      fc.property(rulesArb, fc.array(factsArb, { minLength: 1, maxLength: 10 }), (rules, contacts) => {
        const known = {
          skills: new Set(['a', 'b', 'c']),
          agents: new Set<string>(),
          lines: new Set(['sales', 'service', 'support']),
          line: 'sales',
        };
        expect(validateRuleSet(rules.rules, rules.calendar, known)).toEqual([]);
        expect(validateLineQueueLimit(rules.queueLimit, known)).toEqual([]);
        const compiled = CompiledRuleSet.for(rules);
        for (const contact of contacts) {
          const decision = compiled.decide(contact);
          expect(decision).toEqual(interpret(rules, contact));
          if (decision.rule !== null) matched++;
          else unmatched++;
        }
      }),
      { numRuns: 300 },
    );
    // the generators reach both outcomes often: the property is not vacuous
    expect(matched).toBeGreaterThan(100);
    expect(unmatched).toBeGreaterThan(100);
  });
});
