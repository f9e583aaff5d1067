import { mergeRoutingRules, requiredSkillsFor } from './routing-rules';
import { DEFAULT_ROUTING_RULES } from './routing.types';

describe('mergeRoutingRules', () => {
  it('returns the defaults, as a copy, when given nothing', () => {
    for (const rules of [mergeRoutingRules(), mergeRoutingRules(null), mergeRoutingRules({})]) {
      expect(rules).toEqual(DEFAULT_ROUTING_RULES);
      expect(rules).not.toBe(DEFAULT_ROUTING_RULES);
      expect(rules.sticky).not.toBe(DEFAULT_ROUTING_RULES.sticky);
      expect(rules.intents).not.toBe(DEFAULT_ROUTING_RULES.intents);
    }
  });

  it('merges sticky field by field and keeps other defaults', () => {
    const rules = mergeRoutingRules({ sticky: { waitSeconds: 45 }, offerTimeoutSeconds: 15 });
    expect(rules).toEqual({
      ...DEFAULT_ROUTING_RULES,
      sticky: { enabled: true, waitSeconds: 45, horizonDays: 30, acrossChannels: false },
      offerTimeoutSeconds: 15,
    });
  });

  it('treats undefined fields as absent but keeps explicit zeros and false', () => {
    const rules = mergeRoutingRules({ sticky: { enabled: false, waitSeconds: 0 }, wrapUpSeconds: undefined });
    expect(rules.sticky).toEqual({ enabled: false, waitSeconds: 0, horizonDays: 30, acrossChannels: false });
    expect(rules.wrapUpSeconds).toBe(DEFAULT_ROUTING_RULES.wrapUpSeconds);
  });

  it('replaces intents wholesale and copies them, so later edits do not leak either way', () => {
    const intents = { billing: { skills: { billing: 5 }, priority: 2 }, tech: { skills: { tech: 3 } } };
    const rules = mergeRoutingRules({ intents });
    expect(rules.intents).toEqual(intents);
    rules.intents.billing.skills.billing = 9;
    expect(intents.billing.skills.billing).toBe(5);
    expect(Object.hasOwn(rules.intents.tech, 'priority')).toBe(false);
  });
});

describe('requiredSkillsFor', () => {
  const rules = mergeRoutingRules({
    intents: { billing: { skills: { billing: 5, english: 3 }, priority: 2 }, tech: { skills: { tech: 4 } } },
  });

  it('returns the intent’s skills and priority, priority defaulting to 0', () => {
    expect(requiredSkillsFor(rules, 'billing')).toEqual({ skills: { billing: 5, english: 3 }, priority: 2 });
    expect(requiredSkillsFor(rules, 'tech')).toEqual({ skills: { tech: 4 }, priority: 0 });
  });

  it('asks for nothing when the intent is unknown or absent', () => {
    for (const intent of ['sales-question', undefined, null, '', 'constructor', '__proto__', 'toString']) {
      expect(requiredSkillsFor(rules, intent)).toEqual({ skills: {}, priority: 0 });
    }
  });

  it('returns a copy of the skills, so a contact cannot change the rules', () => {
    const { skills } = requiredSkillsFor(rules, 'billing');
    skills.billing = 1;
    expect(rules.intents.billing.skills.billing).toBe(5);
  });
});
