import { diffRoutingRules } from './routing-rules-diff';
import { mergeRoutingRules } from './routing-rules';

describe('diffRoutingRules', () => {
  it('is empty for equal rules', () => {
    expect(diffRoutingRules(mergeRoutingRules(), mergeRoutingRules())).toEqual([]);
  });

  it('names each changed, added and removed leaf by its JSON path, keys sorted', () => {
    const before = mergeRoutingRules({ intents: { billing: { skills: { billing: 5 } } } });
    const after = mergeRoutingRules({
      sticky: { waitSeconds: 45 },
      intents: { billing: { skills: { billing: 7 }, priority: 2 }, tech: { skills: {} } },
    });
    expect(diffRoutingRules(before, after)).toEqual([
      { path: 'intents.billing.priority', after: 2 },
      { path: 'intents.billing.skills.billing', before: 5, after: 7 },
      { path: 'intents.tech', after: { skills: {} } },
      { path: 'sticky.waitSeconds', before: 30, after: 45 },
    ]);
    expect(diffRoutingRules(after, before)).toContainEqual({ path: 'intents.tech', before: { skills: {} } });
  });

  it('walks arrays by index', () => {
    expect(
      diffRoutingRules({ rules: [{ a: 1 }, { a: 2 }] }, { rules: [{ a: 1 }, { a: 3 }, { a: 4 }] }),
    ).toEqual([
      { path: 'rules[1].a', before: 2, after: 3 },
      { path: 'rules[2]', after: { a: 4 } },
    ]);
  });

  it('a value changing type is one change at its own path', () => {
    expect(diffRoutingRules({ x: { y: 1 } }, { x: 2 })).toEqual([{ path: 'x', before: { y: 1 }, after: 2 }]);
  });
});
