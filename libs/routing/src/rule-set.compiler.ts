import { CompiledCalendar } from './business-calendar';
import { requiredSkillsFor } from './routing-rules';
import type { RoutingRules } from './routing.types';
import type {
  ArrivalDecision,
  ContactFacts,
  CustomerFacts,
  RoutingPlan,
  RoutingRule,
  RuleCondition,
} from './rule-set.types';

const DAY_MS = 24 * 3600 * 1000;

/** The customer facts of a caller not on record (or when no rule asks): nothing known, nothing open. */
export const NO_CUSTOMER: CustomerFacts = {
  known: false,
  attributes: {},
  openCase: false,
  lastContactAt: null,
};

type Test = (facts: ContactFacts, customer: CustomerFacts) => boolean;

interface CompiledRule {
  readonly rule: RoutingRule;
  /** the line's calendar when the rule holds contacts until it opens */
  readonly holdBy: CompiledCalendar | null;
  readonly tests: readonly Test[];
  readonly plan: RoutingPlan | null;
}

/** Compiled rule sets by the rules object they came from: one compilation per version a process holds. */
const compiledByRules = new WeakMap<RoutingRules, CompiledRuleSet>();

/**
 * A line's rules prepared once per version for the hot path: each condition a closure over sets built here, the
 * calendar's hours in minutes, each rule's stages as a plan with absolute ends. `decide` then reads nothing but the
 * contact's facts. The rules are assumed valid (`validateRuleSet` at the admin API).
 */
export class CompiledRuleSet {
  /** whether any rule asks about the customer: only then does intake read the customer's facts */
  readonly needsCustomer: boolean;
  private readonly compiled: readonly CompiledRule[];
  /** customer id -> agents never matched with them */
  private readonly neverMatch = new Map<string, string[]>();

  private constructor(private readonly rules: RoutingRules) {
    const calendar = rules.calendar === undefined ? null : new CompiledCalendar(rules.calendar);
    const list = rules.rules ?? [];
    this.compiled = list.map((rule) => ({
      rule,
      holdBy: rule.holdUntilOpen === true ? calendar : null,
      tests: compileCondition(rule.when ?? {}, calendar),
      plan: planOf(rule),
    }));
    for (const { agentId, customerId } of rules.neverMatch ?? []) {
      const agents = this.neverMatch.get(customerId) ?? [];
      if (!agents.includes(agentId)) agents.push(agentId);
      this.neverMatch.set(customerId, agents);
    }
    this.needsCustomer =
      this.neverMatch.size > 0 ||
      list.some((rule) => rule.when !== undefined && asksAboutCustomer(rule.when));
  }

  /** The agents this customer must never be matched with on the line (none for an unknown caller). */
  neverMatchedWith(customer: CustomerFacts | null): string[] {
    const id = customer?.id;
    return id === undefined || id === null ? [] : [...(this.neverMatch.get(id) ?? [])];
  }

  static for(rules: RoutingRules): CompiledRuleSet {
    let compiled = compiledByRules.get(rules);
    if (compiled === undefined) {
      compiled = new CompiledRuleSet(rules);
      compiledByRules.set(rules, compiled);
    }
    return compiled;
  }

  /**
   * The first rule whose conditions hold decides what it states; the rest (and everything when none holds) comes
   * from the line's IVR intents, exactly as on a line without rules.
   */
  decide(facts: ContactFacts): ArrivalDecision {
    const base = requiredSkillsFor(this.rules, facts.ivr?.intent);
    const customer = facts.customer ?? NO_CUSTOMER;
    for (const { rule, tests, plan, holdBy } of this.compiled) {
      if (!tests.every((test) => test(facts, customer))) continue;
      const holdUntil = holdBy === null || holdBy.isOpen(facts.at) ? null : holdBy.nextOpening(facts.at);
      return {
        rule: rule.name,
        priority: rule.priority ?? base.priority,
        skills:
          rule.skills !== undefined ? { ...rule.skills } : (rule.stages?.length ?? 0) > 0 ? {} : base.skills,
        announcement: rule.announcement ?? null,
        // a held contact's stages count from the opening, not from its arrival the night before
        plan:
          holdUntil === null ? plan : shiftedPlan(plan, (holdUntil.getTime() - facts.at.getTime()) / 1000),
        redirect: rule.redirect === undefined ? null : { ...rule.redirect },
        queueLimit: structuredCloneOrNull(rule.queueLimit ?? this.rules.queueLimit),
        offerCallback: rule.offerCallback === true,
        holdUntil,
      };
    }
    return {
      rule: null,
      priority: base.priority,
      skills: base.skills,
      announcement: null,
      plan: null,
      redirect: null,
      queueLimit: structuredCloneOrNull(this.rules.queueLimit),
      offerCallback: false,
      holdUntil: null,
    };
  }
}

/** A plan whose stages end `seconds` later (whole seconds, rounded up). */
function shiftedPlan(plan: RoutingPlan | null, seconds: number): RoutingPlan | null {
  if (plan === null) return null;
  const by = Math.ceil(seconds);
  return {
    ...plan,
    stages: plan.stages.map((stage) => ({
      ...stage,
      untilSeconds: stage.untilSeconds === null ? null : stage.untilSeconds + by,
    })),
  };
}

function structuredCloneOrNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : structuredClone(value);
}

function asksAboutCustomer(when: RuleCondition): boolean {
  return (
    when.known !== undefined ||
    when.attributes !== undefined ||
    when.openCase !== undefined ||
    when.openCaseOn !== undefined ||
    when.repeatWithinDays !== undefined ||
    when.incident !== undefined
  );
}

function compileCondition(when: RuleCondition, calendar: CompiledCalendar | null): Test[] {
  const tests: Test[] = [];
  const oneOf = (
    values: readonly string[] | undefined,
    read: (facts: ContactFacts) => string | undefined,
  ) => {
    if (values === undefined) return;
    const set = new Set(values);
    tests.push((facts) => {
      const value = read(facts);
      return value !== undefined && set.has(value);
    });
  };
  oneOf(when.channel, (facts) => facts.channel);
  oneOf(when.intent, (facts) => facts.ivr?.intent);
  oneOf(when.digits, (facts) => facts.ivr?.digits);
  oneOf(when.language, (facts) => facts.ivr?.language);
  if (when.fromPrefix !== undefined) {
    const prefixes = when.fromPrefix;
    tests.push((facts) => facts.from !== null && prefixes.some((prefix) => facts.from!.startsWith(prefix)));
  }
  if (when.businessHours !== undefined) {
    const wantOpen = when.businessHours === 'open';
    // validation requires a calendar for this condition; without one, the line is always open
    tests.push((facts) => (calendar === null ? true : calendar.isOpen(facts.at)) === wantOpen);
  }
  if (when.known !== undefined) {
    const known = when.known;
    tests.push((_facts, customer) => customer.known === known);
  }
  if (when.incident !== undefined) {
    const incident = when.incident;
    tests.push((_facts, customer) => (customer.activeIncident ?? false) === incident);
  }
  if (when.openCase !== undefined) {
    const openCase = when.openCase;
    tests.push((_facts, customer) => customer.openCase === openCase);
  }
  if (when.openCaseOn !== undefined) {
    const lines = new Set(when.openCaseOn);
    tests.push((_facts, customer) => (customer.openCaseLines ?? []).some((line) => lines.has(line)));
  }
  if (when.repeatWithinDays !== undefined) {
    const windowMs = when.repeatWithinDays * DAY_MS;
    tests.push(
      (facts, customer) =>
        customer.lastContactAt !== null && facts.at.getTime() - customer.lastContactAt.getTime() <= windowMs,
    );
  }
  if (when.attributes !== undefined) {
    const wanted = Object.entries(when.attributes).map(([key, values]) => [key, new Set(values)] as const);
    tests.push((_facts, customer) =>
      wanted.every(([key, values]) => {
        if (!Object.hasOwn(customer.attributes, key)) return false;
        const held = customer.attributes[key];
        return (
          (typeof held === 'string' || typeof held === 'number' || typeof held === 'boolean') &&
          values.has(held)
        );
      }),
    );
  }
  return tests;
}

/**
 * When a plan's stage end action is due: the end of its last stage, in seconds after arrival; null when the plan has
 * no action (or its last stage never ends).
 */
export function stageEndActionDueSeconds(plan: RoutingPlan | null | undefined): number | null {
  if (plan?.afterStages === undefined || plan.stages.length === 0) return null;
  return plan.stages[plan.stages.length - 1].untilSeconds;
}

/**
 * A rule's stages with each one's end as seconds after arrival, and its priority growth; null when it has neither
 * (the contact routes as without rules).
 */
export function planOf(rule: RoutingRule): RoutingPlan | null {
  const hasStages = rule.stages !== undefined && rule.stages.length > 0;
  if (!hasStages && rule.priorityGrowth === undefined) return null;
  let untilSeconds = 0;
  return {
    rule: rule.name,
    ...(rule.priorityGrowth !== undefined ? { priorityGrowth: { ...rule.priorityGrowth } } : {}),
    ...(rule.afterStages !== undefined ? { afterStages: { ...rule.afterStages } } : {}),
    stages: (rule.stages ?? []).map((stage) => {
      const end = stage.seconds === undefined ? null : (untilSeconds += stage.seconds);
      return {
        untilSeconds: end,
        ...(stage.preferred ? { preferred: true as const } : {}),
        ...(stage.agents !== undefined ? { agents: [...stage.agents] } : {}),
        ...(stage.skills !== undefined ? { skills: { ...stage.skills } } : {}),
      };
    }),
  };
}
