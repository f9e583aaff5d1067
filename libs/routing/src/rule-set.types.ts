import type { Channel } from './routing.types';

/** A JSON value a customer attribute may hold and a rule may ask for. */
export type AttributeValue = string | number | boolean;

/**
 * When a rule applies: every stated condition must hold (and); a list is any of its entries (or). A rule without
 * `when` applies to every contact.
 */
export interface RuleCondition {
  /** the IVR's intent is one of these */
  intent?: string[];
  /** the digits the caller pressed are one of these */
  digits?: string[];
  /** the IVR's language is one of these */
  language?: string[];
  channel?: Channel[];
  /** the caller's number (E.164) starts with one of these */
  fromPrefix?: string[];
  /** whether the caller is a known customer (not a provisional one made for a new number) */
  known?: boolean;
  /** customer attributes (`customers.attributes`): for each key, the customer holds one of the listed values */
  attributes?: Record<string, AttributeValue[]>;
  /** whether the customer has an open case on this line */
  openCase?: boolean;
  /** the customer has an open case on one of these lines (any line, this one included) */
  openCaseOn?: string[];
  /** the customer had a contact (any line) within this many days before this one */
  repeatWithinDays?: number;
  /** the line's business hours (`calendar`) are open / closed at the contact's arrival */
  businessHours?: 'open' | 'closed';
  /**
   * an active incident affects / does not affect the caller on this line (as intake links one: by customer, number
   * prefix, customer attribute or line), e.g. to send them to a team that knows the outage
   */
  incident?: boolean;
}

/**
 * One stage of a contact's routing: who may take it, for how long. A stage names at most one target: `preferred`
 * (the customer's case owner, else their last agent on the line), `agents` (these agents only), `skills` (agents
 * with at least these levels); none of them: anyone on the line. Stages are tried in order, each for its
 * `seconds` counted from the end of the one before (from arrival for the first); the last has no `seconds`.
 */
export interface RuleStage {
  seconds?: number;
  preferred?: true;
  agents?: string[];
  skills?: Record<string, number>;
}

/** One rule of a line: the first whose `when` holds decides the contact, field by field over the line's defaults. */
export interface RoutingRule {
  /** unique within the line: names the rule in traces and in the simulator's answer */
  name: string;
  when?: RuleCondition;
  /** -100..100, higher first; replaces the IVR intent's priority */
  priority?: number;
  /** required skills (and minimum levels); replaces the IVR intent's. Not with `stages`. */
  skills?: Record<string, number>;
  stages?: RuleStage[];
  /** text for the IVR to play before queueing (when no incident announcement applies) */
  announcement?: string;
  /** the contact's priority grows while it waits (ordering only: `effectivePriority`) */
  priorityGrowth?: PriorityGrowth;
  /**
   * the contact waits on another line's queue instead (decided there by that line's rules, without a further
   * redirect); the webhook's answer carries `redirect: { line, reason }` so the IVR can tell the caller why
   */
  redirect?: LineRedirect;
  /** this rule's contacts overflow past this limit (instead of the line's `queueLimit`) */
  queueLimit?: QueueLimit;
  /** the webhook's answer offers a callback at once (`callbackOffered: true`), e.g. after hours */
  offerCallback?: true;
  /**
   * what happens when the last stage (which then has `seconds`) ends and the contact still waits: it overflows to
   * another line, a callback is offered, or an announcement is played (and it keeps waiting in its last stage)
   */
  afterStages?: StageEndAction;
  /**
   * while the line's calendar is closed, a contact this rule decides is kept but not routed until the calendar next
   * opens (then it waits as any contact, its arrival kept); for a call it means a callback offered at once
   * (`callbackOffered: true`, as `offerCallback`)
   */
  holdUntilOpen?: true;
}

/**
 * A rule's action at the end of its last stage, exactly one of: `line` (the contact waits on that line's queue from
 * then on, decided by that line's rules, with `reason`), `callback` (a callback is offered; `reason` optional),
 * `announcement` (a text played / sent, the contact keeps waiting).
 */
export interface StageEndAction {
  line?: string;
  callback?: true;
  announcement?: string;
  reason?: string;
}

/** `by` points every `everySeconds` waited, up to `max` (default 100, the highest priority a rule can state). */
export interface PriorityGrowth {
  by: number;
  everySeconds: number;
  max?: number;
}

/** A cross-line redirect: the line whose queue the contact waits on, and why (told to the IVR, kept in the trace). */
export interface LineRedirect {
  line: string;
  reason: string;
}

/**
 * How many may wait on the line (counting the new contact) or how long its estimated wait may be, before a new
 * contact overflows: to another line (`line`, as a redirect), to a callback offered at once (`callback`), or refused
 * with an announcement (`refuse`: the contact ends at once, `end_reason` `refused`).
 */
export interface QueueLimit {
  maxWaiting?: number;
  maxWaitSeconds?: number;
  overflow: OverflowAction;
}

export interface OverflowAction {
  line?: string;
  callback?: true;
  refuse?: true;
  /** why: the redirect's reason (line), else the announcement the IVR plays */
  reason?: string;
}

/** Weekly hours in a time zone, minus holidays: what `businessHours` conditions ask. */
export interface BusinessCalendar {
  /** IANA time zone, e.g. `Europe/Berlin` */
  timeZone: string;
  /** weekday (`mon`..`sun`) -> open intervals `["09:00", "17:30"]`, local time, end exclusive; a missing day: closed */
  weekly: Partial<Record<Weekday, [string, string][]>>;
  /** local dates (`2026-12-25`) closed all day */
  holidays?: string[];
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** What the rules are evaluated on: the contact as it arrives and, when a rule asks about them, its customer. */
export interface ContactFacts {
  channel: Channel;
  ivr: { intent?: string; digits?: string; language?: string } | null;
  /** E.164, or null without a number */
  from: string | null;
  at: Date;
  /** null: no rule of the line asks about customers, or the caller is not on record */
  customer: CustomerFacts | null;
}

export interface CustomerFacts {
  /** the customer's id (null in the absence of one) */
  id?: string | null;
  known: boolean;
  attributes: Readonly<Record<string, unknown>>;
  openCase: boolean;
  /** the lines on which the customer has an open case (absent: only `openCase` is known) */
  openCaseLines?: readonly string[];
  /** the customer's latest earlier contact, any line */
  lastContactAt: Date | null;
  /** whether an active incident affects this caller on the line (absent: none known) */
  activeIncident?: boolean;
}

/**
 * A contact's stages as decided at arrival, kept with the contact (`contacts.routing_plan`): the engine reads the
 * current stage from the time waited at every pass, so widening needs no rules and no read.
 */
export interface RoutingPlan {
  /** the rule that made it */
  rule: string;
  /** empty when the rule has no stages but a `priorityGrowth` */
  stages: PlanStage[];
  priorityGrowth?: PriorityGrowth;
  /**
   * the rule's stage end action, due when the last stage ends (`untilSeconds` of the last stage); removed from the
   * contact's plan once applied (`tether_stage_end`), so it is applied once
   */
  afterStages?: StageEndAction;
}

/** A stage with its end as seconds after arrival (null: the last stage, open-ended). */
export interface PlanStage {
  untilSeconds: number | null;
  preferred?: true;
  agents?: string[];
  skills?: Record<string, number>;
}

/** What the line's rules decide for a contact at arrival. */
export interface ArrivalDecision {
  /** the rule that matched, or null when none did (the line's intents decided, as without rules) */
  rule: string | null;
  priority: number;
  skills: Record<string, number>;
  announcement: string | null;
  plan: RoutingPlan | null;
  /** the rule's cross-line redirect, or null */
  redirect: LineRedirect | null;
  /** the rule's queue limit, else the line's, or null */
  queueLimit: QueueLimit | null;
  /** the rule offers a callback at once */
  offerCallback: boolean;
  /** the rule holds the contact until the line's calendar next opens (`holdUntilOpen` while closed), or null */
  holdUntil: Date | null;
}

/** An agent and a customer who must never be matched on this line (a conflict of interest, a complaint, ...). */
export interface NeverMatchPair {
  agentId: string;
  customerId: string;
}
