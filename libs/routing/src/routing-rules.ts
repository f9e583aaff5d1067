import {
  type CallbackPolicy,
  DEFAULT_ROUTING_RULES,
  type IntentRule,
  type RoutingRules,
} from './routing.types';
import type { BusinessCalendar, NeverMatchPair, QueueLimit, RoutingRule } from './rule-set.types';

/** Routing rules with any field left out; `sticky` may be partial too. What a stored row or PUT body may hold. */
export interface RoutingRulesPatch {
  sticky?: Partial<RoutingRules['sticky']>;
  offerTimeoutSeconds?: number;
  wrapUpSeconds?: number;
  intents?: Record<string, IntentRule>;
  callback?: Partial<CallbackPolicy>;
  rules?: RoutingRule[];
  calendar?: BusinessCalendar;
  neverMatch?: NeverMatchPair[];
  queueLimit?: QueueLimit;
}

/**
 * Complete rules from a partial set, defaults from DEFAULT_ROUTING_RULES. Fields that are absent or
 * `undefined` take the default; `intents`, when given, replaces the default map rather than merging
 * into it (a line's intents are edited as a whole). The result shares no objects with its inputs, so
 * callers may mutate it without touching the defaults. Validation is the caller's job (admin DTOs).
 */
export function mergeRoutingRules(patch?: RoutingRulesPatch | null): RoutingRules {
  const defaults = DEFAULT_ROUTING_RULES;
  return {
    sticky: {
      enabled: patch?.sticky?.enabled ?? defaults.sticky.enabled,
      waitSeconds: patch?.sticky?.waitSeconds ?? defaults.sticky.waitSeconds,
      horizonDays: patch?.sticky?.horizonDays ?? defaults.sticky.horizonDays,
      acrossChannels: patch?.sticky?.acrossChannels ?? defaults.sticky.acrossChannels,
    },
    offerTimeoutSeconds: patch?.offerTimeoutSeconds ?? defaults.offerTimeoutSeconds,
    wrapUpSeconds: patch?.wrapUpSeconds ?? defaults.wrapUpSeconds,
    intents: copyIntents(patch?.intents ?? defaults.intents),
    callback: {
      offerAfterWaitSeconds:
        patch?.callback?.offerAfterWaitSeconds === undefined
          ? defaults.callback.offerAfterWaitSeconds
          : patch.callback.offerAfterWaitSeconds,
      dueSeconds: patch?.callback?.dueSeconds ?? defaults.callback.dueSeconds,
      reminderSeconds: patch?.callback?.reminderSeconds ?? defaults.callback.reminderSeconds,
      maxAttempts: patch?.callback?.maxAttempts ?? defaults.callback.maxAttempts,
      retrySeconds: patch?.callback?.retrySeconds ?? defaults.callback.retrySeconds,
    },
    // only when given: a line nobody gave rules reads (and routes) exactly as before rules existed
    ...(patch?.rules !== undefined && patch.rules !== null ? { rules: structuredClone(patch.rules) } : {}),
    ...(patch?.calendar !== undefined && patch.calendar !== null
      ? { calendar: structuredClone(patch.calendar) }
      : {}),
    ...(patch?.neverMatch !== undefined && patch.neverMatch !== null
      ? { neverMatch: patch.neverMatch.map(({ agentId, customerId }) => ({ agentId, customerId })) }
      : {}),
    ...(patch?.queueLimit !== undefined && patch.queueLimit !== null
      ? { queueLimit: structuredClone(patch.queueLimit) }
      : {}),
  };
}

/**
 * Required skills and priority for a contact with this IVR intent. An unknown or missing intent asks
 * for nothing: the contact is routed to any free agent on the line rather than stranded.
 */
export function requiredSkillsFor(
  rules: RoutingRules,
  intent: string | undefined | null,
): { skills: Record<string, number>; priority: number } {
  // hasOwn, not `in`: an intent called "constructor" must not find Object.prototype's.
  if (intent === undefined || intent === null || !Object.hasOwn(rules.intents, intent)) {
    return { skills: {}, priority: 0 };
  }
  const rule = rules.intents[intent];
  return { skills: { ...rule.skills }, priority: rule.priority ?? 0 };
}

function copyIntents(intents: Readonly<Record<string, IntentRule>>): Record<string, IntentRule> {
  return Object.fromEntries(
    Object.entries(intents).map(([intent, rule]) => [
      intent,
      rule.priority === undefined
        ? { skills: { ...rule.skills } }
        : { skills: { ...rule.skills }, priority: rule.priority },
    ]),
  );
}
