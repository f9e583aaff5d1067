import { isTimeZone, minuteOfDay } from './business-calendar';
import { CHANNELS } from './routing.types';
import { WEEKDAYS } from './rule-set.types';

/** One problem in a rule set, at the JSON path of the offending value (`rules[2].stages[1].skills.billing`). */
export interface RuleSetProblem {
  path: string;
  message: string;
}

/** Names a rule set may refer to, as they are when it is written. */
export interface KnownNames {
  /** skills at least one agent holds */
  skills: ReadonlySet<string>;
  /** agents that exist (not deleted) */
  agents: ReadonlySet<string>;
  /**
   * agents that existed and were deleted: a rule naming one stays valid (it no longer matches them), so that what GET
   * returns after a deletion is still a valid PUT body; `deletedAgentsIn` reports them
   */
  deletedAgents?: ReadonlySet<string>;
  /** customers that exist (for `neverMatch`) */
  customers?: ReadonlySet<string>;
  /** the lines that exist (for `redirect`, `openCaseOn`, an overflow's `line`); absent: not checked */
  lines?: ReadonlySet<string>;
  /** the line the rules are for: a redirect or overflow to itself is refused */
  line?: string;
}

export const MAX_RULES = 200;
const MAX_STAGES = 10;
const MAX_LIST = 100;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;
const PHONE_PREFIX = /^\+\d{0,15}$/;
const DIGITS = /^[0-9*#]{1,32}$/;

const RULE_FIELDS = [
  'name',
  'when',
  'priority',
  'skills',
  'stages',
  'announcement',
  'priorityGrowth',
  'redirect',
  'queueLimit',
  'offerCallback',
  'afterStages',
  'holdUntilOpen',
];
const AFTER_STAGES_FIELDS = ['line', 'callback', 'announcement', 'reason'];
const GROWTH_FIELDS = ['by', 'everySeconds', 'max'];
const REDIRECT_FIELDS = ['line', 'reason'];
const QUEUE_LIMIT_FIELDS = ['maxWaiting', 'maxWaitSeconds', 'overflow'];
const OVERFLOW_FIELDS = ['line', 'callback', 'refuse', 'reason'];
const CONDITION_FIELDS = [
  'intent',
  'digits',
  'language',
  'channel',
  'fromPrefix',
  'known',
  'attributes',
  'openCase',
  'openCaseOn',
  'repeatWithinDays',
  'businessHours',
  'incident',
];
const STAGE_FIELDS = ['seconds', 'preferred', 'agents', 'skills'];
const CALENDAR_FIELDS = ['timeZone', 'weekly', 'holidays'];

/**
 * Every problem in a line's `rules` and `calendar`, checked as a whole: shapes and bounds, unknown fields, names
 * that must be unique, stages that can never be reached (after one without `seconds`), rules that can never match
 * (after one without conditions), skills no agent holds, agents that do not exist, `businessHours` without a
 * calendar. Empty when valid. Pure: the caller supplies what exists (`known`).
 */
export function validateRuleSet(rules: unknown, calendar: unknown, known: KnownNames): RuleSetProblem[] {
  const problems: RuleSetProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  if (calendar !== undefined && calendar !== null) validateCalendar(calendar, problem);
  if (rules === undefined || rules === null) return problems;
  if (!Array.isArray(rules)) {
    problem('rules', 'must be an array of rules');
    return problems;
  }
  if (rules.length > MAX_RULES)
    problem('rules', `must have at most ${MAX_RULES} rules (got ${rules.length})`);
  const names = new Set<string>();
  let catchAll: number | null = null;
  rules.forEach((rule: unknown, i) => {
    const at = `rules[${i}]`;
    if (!isRecord(rule)) return problem(at, 'must be an object');
    unknownFields(rule, RULE_FIELDS, at, problem);
    if (typeof rule.name !== 'string' || !NAME.test(rule.name))
      problem(`${at}.name`, 'must be a name of 1-64 letters, digits, _ . -');
    else if (names.has(rule.name)) problem(`${at}.name`, `${rule.name} names an earlier rule too`);
    else names.add(rule.name);
    if (catchAll !== null)
      problem(at, `unreachable: rules[${catchAll}] has no conditions, so it matches every contact first`);
    if (rule.when === undefined) catchAll ??= i;
    else validateCondition(rule.when, `${at}.when`, calendar, known, problem);
    if (rule.priority !== undefined && !isIntIn(rule.priority, -100, 100))
      problem(`${at}.priority`, 'must be an integer from -100 to 100');
    if (rule.skills !== undefined) validateSkills(rule.skills, `${at}.skills`, known, problem);
    if (rule.skills !== undefined && rule.stages !== undefined)
      problem(`${at}.skills`, 'a rule with stages states the skills of each stage instead');
    if (rule.stages !== undefined) validateStages(rule.stages, `${at}.stages`, known, problem);
    if (
      rule.announcement !== undefined &&
      (typeof rule.announcement !== 'string' ||
        rule.announcement.length < 1 ||
        rule.announcement.length > 1000)
    )
      problem(`${at}.announcement`, 'must be a text of 1-1000 characters');
    if (rule.priorityGrowth !== undefined)
      validateGrowth(rule.priorityGrowth, `${at}.priorityGrowth`, problem);
    if (rule.redirect !== undefined) validateRedirect(rule.redirect, `${at}.redirect`, known, problem);
    if (rule.queueLimit !== undefined)
      validateQueueLimit(rule.queueLimit, `${at}.queueLimit`, known, problem);
    if (rule.offerCallback !== undefined && rule.offerCallback !== true)
      problem(`${at}.offerCallback`, 'must be true (leave it out otherwise)');
    if (rule.holdUntilOpen !== undefined) {
      if (rule.holdUntilOpen !== true)
        problem(`${at}.holdUntilOpen`, 'must be true (leave it out otherwise)');
      else if (calendar === undefined || calendar === null)
        problem(`${at}.holdUntilOpen`, 'needs the line to have a calendar: it holds contacts until it opens');
    }
    if (rule.afterStages !== undefined)
      validateAfterStages(rule.afterStages, rule.stages, at, known, problem);
    if (rule.redirect !== undefined)
      for (const field of [
        'stages',
        'skills',
        'priorityGrowth',
        'queueLimit',
        'afterStages',
        'holdUntilOpen',
      ] as const)
        if (rule[field] !== undefined)
          problem(`${at}.${field}`, "a redirected contact is decided by the other line's rules");
  });
  return problems;
}

/** Problems in a line's `queueLimit` (the one its rules fall back on). */
export function validateLineQueueLimit(queueLimit: unknown, known: KnownNames): RuleSetProblem[] {
  const problems: RuleSetProblem[] = [];
  if (queueLimit !== undefined && queueLimit !== null)
    validateQueueLimit(queueLimit, 'queueLimit', known, (path, message) => problems.push({ path, message }));
  return problems;
}

function validateGrowth(growth: unknown, at: string, problem: Report): void {
  if (!isRecord(growth)) return problem(at, 'must be { by, everySeconds, max? }');
  unknownFields(growth, GROWTH_FIELDS, at, problem);
  if (!isIntIn(growth.by, 1, 100)) problem(`${at}.by`, 'must be an integer from 1 to 100');
  if (!isIntIn(growth.everySeconds, 1, 3600))
    problem(`${at}.everySeconds`, 'must be an integer from 1 to 3600');
  if (growth.max !== undefined && !isIntIn(growth.max, -100, 1000))
    problem(`${at}.max`, 'must be an integer from -100 to 1000');
}

function validateLineName(line: unknown, at: string, known: KnownNames, problem: Report): void {
  if (typeof line !== 'string' || !NAME.test(line)) return problem(at, 'must be a line name');
  if (known.lines !== undefined && !known.lines.has(line)) problem(at, `unknown line ${line}`);
  else if (known.line !== undefined && line === known.line) problem(at, 'must be another line than this one');
}

function validateReason(reason: unknown, at: string, problem: Report): void {
  if (typeof reason !== 'string' || reason.length < 1 || reason.length > 500)
    problem(at, 'must be a text of 1-500 characters');
}

function validateRedirect(redirect: unknown, at: string, known: KnownNames, problem: Report): void {
  if (!isRecord(redirect)) return problem(at, 'must be { line, reason }');
  unknownFields(redirect, REDIRECT_FIELDS, at, problem);
  validateLineName(redirect.line, `${at}.line`, known, problem);
  validateReason(redirect.reason, `${at}.reason`, problem);
}

function validateQueueLimit(limit: unknown, at: string, known: KnownNames, problem: Report): void {
  if (!isRecord(limit)) return problem(at, 'must be { maxWaiting?, maxWaitSeconds?, overflow }');
  unknownFields(limit, QUEUE_LIMIT_FIELDS, at, problem);
  if (limit.maxWaiting === undefined && limit.maxWaitSeconds === undefined)
    problem(at, 'needs maxWaiting or maxWaitSeconds');
  if (limit.maxWaiting !== undefined && !isIntIn(limit.maxWaiting, 1, 100_000))
    problem(`${at}.maxWaiting`, 'must be an integer from 1 to 100000');
  if (limit.maxWaitSeconds !== undefined && !isIntIn(limit.maxWaitSeconds, 1, 86_400))
    problem(`${at}.maxWaitSeconds`, 'must be an integer from 1 to 86400');
  const overflow = limit.overflow;
  const path = `${at}.overflow`;
  if (!isRecord(overflow))
    return problem(path, 'must be { line, reason } | { callback: true } | { refuse: true, reason }');
  unknownFields(overflow, OVERFLOW_FIELDS, path, problem);
  const actions = ['line', 'callback', 'refuse'].filter((field) => overflow[field] !== undefined);
  if (actions.length !== 1)
    return problem(path, `names exactly one of line, callback, refuse (got ${actions.join(', ') || 'none'})`);
  if (overflow.line !== undefined) validateLineName(overflow.line, `${path}.line`, known, problem);
  for (const flag of ['callback', 'refuse'] as const)
    if (overflow[flag] !== undefined && overflow[flag] !== true)
      problem(`${path}.${flag}`, 'must be true (leave it out otherwise)');
  if (overflow.reason !== undefined) validateReason(overflow.reason, `${path}.reason`, problem);
  else if (overflow.refuse === true || overflow.line !== undefined)
    problem(`${path}.reason`, 'is required: the IVR tells the caller why');
}

type Report = (path: string, message: string) => void;

/**
 * A rule's `afterStages`: exactly one of line (with a reason), callback, announcement; only with stages, the last of
 * which ends (`seconds`), since the action is taken when it does.
 */
function validateAfterStages(
  action: unknown,
  stages: unknown,
  rule: string,
  known: KnownNames,
  problem: Report,
): void {
  const at = `${rule}.afterStages`;
  if (!isRecord(action))
    return problem(
      at,
      'must be { line, reason } | { callback: true, reason? } | { announcement } (what happens when the last stage ends)',
    );
  unknownFields(action, AFTER_STAGES_FIELDS, at, problem);
  const actions = ['line', 'callback', 'announcement'].filter((field) => action[field] !== undefined);
  if (actions.length !== 1)
    problem(at, `names exactly one of line, callback, announcement (got ${actions.join(', ') || 'none'})`);
  if (action.line !== undefined) validateLineName(action.line, `${at}.line`, known, problem);
  if (action.callback !== undefined && action.callback !== true)
    problem(`${at}.callback`, 'must be true (leave it out otherwise)');
  if (
    action.announcement !== undefined &&
    (typeof action.announcement !== 'string' ||
      action.announcement.length < 1 ||
      action.announcement.length > 1000)
  )
    problem(`${at}.announcement`, 'must be a text of 1-1000 characters');
  if (action.reason !== undefined) validateReason(action.reason, `${at}.reason`, problem);
  else if (action.line !== undefined) problem(`${at}.reason`, 'is required: the IVR tells the caller why');
  if (action.announcement !== undefined && action.reason !== undefined)
    problem(`${at}.reason`, 'an announcement is its own text: leave reason out');
  if (stages === undefined) return problem(at, 'needs stages: it is taken when the last stage ends');
  if (!Array.isArray(stages) || stages.length === 0) return;
  const last = stages.length - 1;
  const lastStage: unknown = stages[last];
  if (isRecord(lastStage) && lastStage.seconds === undefined)
    problem(`${rule}.stages[${last}].seconds`, 'is required: afterStages is taken when the last stage ends');
}

function validateCondition(
  when: unknown,
  at: string,
  calendar: unknown,
  known: KnownNames,
  problem: Report,
): void {
  if (!isRecord(when)) return problem(at, 'must be an object of conditions');
  unknownFields(when, CONDITION_FIELDS, at, problem);
  for (const field of ['intent', 'language'] as const)
    if (when[field] !== undefined) stringList(when[field], `${at}.${field}`, NAME, problem);
  if (when.digits !== undefined) stringList(when.digits, `${at}.digits`, DIGITS, problem);
  if (when.channel !== undefined) {
    if (stringList(when.channel, `${at}.channel`, null, problem))
      (when.channel as string[]).forEach((channel, i) => {
        if (!(CHANNELS as readonly string[]).includes(channel))
          problem(`${at}.channel[${i}]`, `must be one of ${CHANNELS.join(', ')}`);
      });
  }
  if (when.fromPrefix !== undefined) stringList(when.fromPrefix, `${at}.fromPrefix`, PHONE_PREFIX, problem);
  if (when.openCaseOn !== undefined && stringList(when.openCaseOn, `${at}.openCaseOn`, NAME, problem))
    (when.openCaseOn as string[]).forEach((line, i) => {
      if (known.lines !== undefined && !known.lines.has(line))
        problem(`${at}.openCaseOn[${i}]`, `unknown line ${line}`);
    });
  for (const field of ['known', 'openCase', 'incident'] as const)
    if (when[field] !== undefined && typeof when[field] !== 'boolean')
      problem(`${at}.${field}`, 'must be true or false');
  if (when.repeatWithinDays !== undefined && !isIntIn(when.repeatWithinDays, 1, 365))
    problem(`${at}.repeatWithinDays`, 'must be an integer from 1 to 365');
  if (when.businessHours !== undefined) {
    if (when.businessHours !== 'open' && when.businessHours !== 'closed')
      problem(`${at}.businessHours`, 'must be "open" or "closed"');
    else if (calendar === undefined || calendar === null)
      problem(`${at}.businessHours`, 'needs the line to have a calendar');
  }
  if (when.attributes !== undefined) {
    if (!isRecord(when.attributes))
      return problem(`${at}.attributes`, 'must map attribute names to value lists');
    for (const [key, values] of Object.entries(when.attributes)) {
      const path = `${at}.attributes.${key}`;
      if (!NAME.test(key)) problem(path, 'attribute names are 1-64 letters, digits, _ . -');
      if (!Array.isArray(values) || values.length === 0 || values.length > MAX_LIST)
        problem(path, `must be a list of 1-${MAX_LIST} values`);
      else
        values.forEach((value: unknown, i) => {
          if (!['string', 'number', 'boolean'].includes(typeof value))
            problem(`${path}[${i}]`, 'must be a string, number or boolean');
        });
    }
  }
}

function validateStages(stages: unknown, at: string, known: KnownNames, problem: Report): void {
  if (!Array.isArray(stages) || stages.length === 0 || stages.length > MAX_STAGES)
    return problem(at, `must be a list of 1-${MAX_STAGES} stages`);
  let endless: number | null = null;
  stages.forEach((stage: unknown, i) => {
    const path = `${at}[${i}]`;
    if (!isRecord(stage)) return problem(path, 'must be an object');
    unknownFields(stage, STAGE_FIELDS, path, problem);
    if (endless !== null)
      problem(path, `unreachable: stage ${at}[${endless}] has no seconds, so it never ends`);
    if (stage.seconds === undefined) endless ??= i;
    else if (!isIntIn(stage.seconds, 1, 3600))
      problem(`${path}.seconds`, 'must be an integer from 1 to 3600');
    const targets = ['preferred', 'agents', 'skills'].filter((field) => stage[field] !== undefined);
    if (targets.length > 1) problem(path, `names one target, not ${targets.join(' and ')}`);
    if (stage.preferred !== undefined && stage.preferred !== true)
      problem(`${path}.preferred`, 'must be true (leave it out otherwise)');
    if (stage.agents !== undefined && stringList(stage.agents, `${path}.agents`, null, problem))
      (stage.agents as string[]).forEach((agentId, j) => {
        if (!known.agents.has(agentId) && known.deletedAgents?.has(agentId) !== true)
          problem(`${path}.agents[${j}]`, `unknown agent ${agentId}`);
      });
    if (stage.skills !== undefined) validateSkills(stage.skills, `${path}.skills`, known, problem);
  });
}

function validateSkills(skills: unknown, at: string, known: KnownNames, problem: Report): void {
  if (!isRecord(skills)) return problem(at, 'must map skill names to minimum levels 1-10');
  if (Object.keys(skills).length > MAX_LIST) problem(at, `must have at most ${MAX_LIST} skills`);
  for (const [skill, level] of Object.entries(skills)) {
    const path = `${at}.${skill}`;
    if (!NAME.test(skill)) problem(path, 'skill names are 1-64 letters, digits, _ . -');
    else if (!known.skills.has(skill)) problem(path, `unknown skill ${skill}: no agent has it`);
    if (!isIntIn(level, 1, 10)) problem(path, 'must be a minimum level from 1 to 10');
  }
}

function validateCalendar(calendar: unknown, problem: Report): void {
  if (!isRecord(calendar)) return problem('calendar', 'must be an object { timeZone, weekly, holidays? }');
  unknownFields(calendar, CALENDAR_FIELDS, 'calendar', problem);
  if (typeof calendar.timeZone !== 'string' || !isTimeZone(calendar.timeZone))
    problem('calendar.timeZone', 'must be an IANA time zone, e.g. Europe/Berlin');
  if (!isRecord(calendar.weekly))
    problem('calendar.weekly', 'must map weekdays (mon..sun) to open intervals');
  else {
    unknownFields(calendar.weekly, WEEKDAYS, 'calendar.weekly', problem);
    for (const day of WEEKDAYS) {
      const intervals = calendar.weekly[day];
      if (intervals === undefined) continue;
      if (!Array.isArray(intervals) || intervals.length > 10) {
        problem(`calendar.weekly.${day}`, 'must be a list of at most 10 ["HH:MM", "HH:MM"] intervals');
        continue;
      }
      intervals.forEach((interval: unknown, i) => {
        const ok =
          Array.isArray(interval) &&
          interval.length === 2 &&
          interval.every((t) => typeof t === 'string' && HHMM.test(t)) &&
          minuteOfDay(interval[0] as string) < minuteOfDay(interval[1] as string);
        if (!ok)
          problem(`calendar.weekly.${day}[${i}]`, 'must be ["HH:MM", "HH:MM"], the start before the end');
      });
    }
  }
  if (calendar.holidays !== undefined)
    stringList(calendar.holidays, 'calendar.holidays', DATE, problem, 366, 0);
}

/** A list of min..max strings (each matching `pattern`, when given); reports and answers false otherwise. */
function stringList(
  value: unknown,
  at: string,
  pattern: RegExp | null,
  problem: Report,
  max = MAX_LIST,
  min = 1,
): boolean {
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    problem(at, `must be a list of ${min}-${max} values`);
    return false;
  }
  let ok = true;
  value.forEach((entry: unknown, i) => {
    if (typeof entry !== 'string' || (pattern !== null && !pattern.test(entry))) {
      problem(`${at}[${i}]`, pattern === null ? 'must be a string' : `must match ${String(pattern)}`);
      ok = false;
    }
  });
  return ok;
}

function unknownFields(
  value: Record<string, unknown>,
  allowed: readonly string[],
  at: string,
  problem: Report,
) {
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) problem(`${at}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntIn(value: unknown, min: number, max: number): boolean {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

export const MAX_NEVER_MATCH = 1000;

/** Problems in a line's `neverMatch` pairs: shape, unknown fields, agents and customers that do not exist. */
export function validateNeverMatch(pairs: unknown, known: KnownNames): RuleSetProblem[] {
  const problems: RuleSetProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  if (pairs === undefined || pairs === null) return problems;
  if (!Array.isArray(pairs) || pairs.length > MAX_NEVER_MATCH) {
    problem('neverMatch', `must be a list of at most ${MAX_NEVER_MATCH} { agentId, customerId } pairs`);
    return problems;
  }
  pairs.forEach((pair: unknown, i) => {
    const at = `neverMatch[${i}]`;
    if (!isRecord(pair)) return problem(at, 'must be { agentId, customerId }');
    unknownFields(pair, ['agentId', 'customerId'], at, problem);
    if (
      typeof pair.agentId !== 'string' ||
      (!known.agents.has(pair.agentId) && !known.deletedAgents?.has(pair.agentId))
    )
      problem(`${at}.agentId`, `unknown agent ${String(pair.agentId)}`);
    if (typeof pair.customerId !== 'string' || known.customers?.has(pair.customerId) !== true)
      problem(`${at}.customerId`, `unknown customer ${String(pair.customerId)}`);
  });
  return problems;
}

/** The agent ids `neverMatch` names (unvalidated input read safely). */
export function agentsPairedIn(pairs: unknown): string[] {
  if (!Array.isArray(pairs)) return [];
  return pairs.flatMap((pair: unknown) =>
    isRecord(pair) && typeof pair.agentId === 'string' ? [pair.agentId] : [],
  );
}

/** The customer ids `neverMatch` names (unvalidated input read safely). */
export function customersPairedIn(pairs: unknown): string[] {
  if (!Array.isArray(pairs)) return [];
  return pairs.flatMap((pair: unknown) =>
    isRecord(pair) && typeof pair.customerId === 'string' ? [pair.customerId] : [],
  );
}

/**
 * Every agent a rule set names, with where (`rules[1].stages[0].agents[2]`). Reads unvalidated input safely: what is
 * not shaped like a rule set names nobody (`validateRuleSet` reports it).
 */
export function agentsNamedIn(rules: unknown): { path: string; agentId: string }[] {
  const named: { path: string; agentId: string }[] = [];
  if (!Array.isArray(rules)) return named;
  rules.forEach((rule: unknown, i) => {
    if (!isRecord(rule) || !Array.isArray(rule.stages)) return;
    rule.stages.forEach((stage: unknown, j) => {
      if (!isRecord(stage) || !Array.isArray(stage.agents)) return;
      stage.agents.forEach((agentId: unknown, k) => {
        if (typeof agentId === 'string')
          named.push({ path: `rules[${i}].stages[${j}].agents[${k}]`, agentId });
      });
    });
  });
  return named;
}
