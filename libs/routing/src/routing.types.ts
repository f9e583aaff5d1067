/** The vocabulary of routing. Plain data: no framework, no I/O. */
import type {
  BusinessCalendar,
  NeverMatchPair,
  QueueLimit,
  RoutingPlan,
  RoutingRule,
} from './rule-set.types';

/**
 * A line's name, as read from the `lines` table (`@tether/lines`): `sales`, `presales` and `service` by default, and
 * whatever rows are added. The engine never enumerates lines; it routes the one it is given.
 */
export type Line = string;

export const CHANNELS = ['voice', 'chat', 'email', 'messenger', 'social'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PRESENCE_STATES = ['available', 'away', 'offline'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];

/**
 * Why an agent was offered a contact; travels in the `offer` event's `reason`: `transfer` (an agent transferred the
 * contact to them by name), `case_owner` (they own the customer's
 * open case), `deputy` (the owner's deputy, the owner being away for good or their wait over), `team` (a member of
 * the case's team), `sticky` (the customer last dealt with them), `skills` (the longest-idle qualified agent),
 * `supervisor` (a supervisor force-assigned it to them: `contact:assign` on /supervisors).
 */
export type OfferReason = 'transfer' | 'case_owner' | 'deputy' | 'team' | 'sticky' | 'skills' | 'supervisor';

/** Why a contact prefers a particular agent. */
export type StickyCause = 'last_agent' | 'case_owner';

export interface IntentRule {
  /** skill name -> minimum level (1-10) an agent needs to take contacts with this IVR intent */
  skills: Record<string, number>;
  /** higher goes first; default 0 */
  priority?: number;
}

/** A line's routing rules, as stored and as served by GET/PUT /v1/lines/{line}/routing. */
export interface RoutingRules {
  sticky: {
    enabled: boolean;
    /** how long a returning caller waits for their last agent while that agent is signed in but not free */
    waitSeconds: number;
    /** how far back the "last agent" may be; older history does not make a contact sticky */
    horizonDays: number;
    /**
     * whether the last agent of any channel counts for a message contact (a chat goes to the customer's last voice
     * agent); false: only the last agent of the same channel. Calls count the last agent of any channel.
     */
    acrossChannels: boolean;
  };
  offerTimeoutSeconds: number;
  wrapUpSeconds: number;
  /** IVR intent -> required skills and priority */
  intents: Record<string, IntentRule>;
  /** callbacks instead of waiting: when one is offered, when it is due, how failed dial attempts are retried */
  callback: CallbackPolicy;
  /** ordered rules: the first that matches a contact decides (rule-set.types.ts); absent: the intents alone */
  rules?: RoutingRule[];
  /** the line's business hours, for rules' `businessHours` conditions */
  calendar?: BusinessCalendar;
  /** agent–customer pairs never matched on this line: the agent is excluded from the customer's contacts */
  neverMatch?: NeverMatchPair[];
  /** the line's queue limit and overflow (a rule's own `queueLimit` replaces it); absent: no limit */
  queueLimit?: QueueLimit;
  /**
   * per-channel settings that override the line's (an e-mail waits longer for an answer than a call); absent: the
   * line's offerTimeoutSeconds and wrapUpSeconds, and TETHER_CONVERSATION_IDLE_SECONDS, for every channel
   */
  channels?: Partial<Record<Channel, ChannelSettings>>;
  /** what an agent may be offered given what they hold on other channels; absent: each channel's capacity alone */
  crossChannel?: CrossChannelRule;
}

/** One channel's settings on a line (`channels.<channel>` in its routing rules); each absent field: the line's. */
export interface ChannelSettings {
  /** how long an agent has to accept an offer of this channel */
  offerTimeoutSeconds?: number;
  /** after-contact work after completing a contact of this channel */
  wrapUpSeconds?: number;
  /** a conversation of this channel with no message either way for this long ends its contact (not voice) */
  idleSeconds?: number;
}

/**
 * A line's cross-channel capacity rule: checked, with each channel's own capacity, when the line offers an agent a
 * contact, against everything the agent holds (pending offers and unfinished contacts, of any line).
 */
export interface CrossChannelRule {
  /** held channel -> channels an agent holding one of those is offered none of (`{ "voice": ["chat"] }`) */
  blocks?: Partial<Record<Channel, Channel[]>>;
  /**
   * a weighted total: the weights of what the agent holds plus the new contact's stay within `maxWeight`; a channel
   * not named weighs 1. Both or neither.
   */
  weights?: Partial<Record<Channel, number>>;
  maxWeight?: number;
}

/** A channel's offer timeout on a line: its own setting, else the line's. */
export function offerTimeoutFor(rules: RoutingRules, channel: Channel): number {
  return rules.channels?.[channel]?.offerTimeoutSeconds ?? rules.offerTimeoutSeconds;
}

/** A line's callback policy (`callback` in its routing rules). */
export interface CallbackPolicy {
  /**
   * The webhook's answer says `callbackOffered: true` when the estimated wait is longer than this; null: never
   * offered (the IVR may still confirm one: POST /v1/telephony/calls/{callId}/callback works on every line).
   */
  offerAfterWaitSeconds: number | null;
  /** a callback confirmed without a window must be made within this, else it is missed (escalated) */
  dueSeconds: number;
  /** its owner is reminded this long before it is due */
  reminderSeconds: number;
  /** dial attempts (no answer, busy, failed) before it is given up */
  maxAttempts: number;
  /** a failed attempt waits this long before the callback is routed again */
  retrySeconds: number;
}

export const DEFAULT_ROUTING_RULES: RoutingRules = {
  sticky: { enabled: true, waitSeconds: 30, horizonDays: 30, acrossChannels: false },
  offerTimeoutSeconds: 20,
  wrapUpSeconds: 0,
  intents: {},
  callback: {
    offerAfterWaitSeconds: null,
    dueSeconds: 3600,
    reminderSeconds: 300,
    maxAttempts: 3,
    retrySeconds: 300,
  },
};

/** An agent as the engine sees it at the moment of a routing pass: facts read from the database, no judgement. */
export interface AgentCandidate {
  id: string;
  /** what the agent chose (available/away/offline) */
  presence: PresenceState;
  /**
   * whether the agent has a live socket now. Signed in (not offline) without one means they dropped and may come
   * back within the reconnect grace: worth waiting for, not reachable for an offer (the engine treats them as away).
   */
  connected: boolean;
  lines: readonly Line[];
  skills: Readonly<Record<string, number>>;
  /** channel -> how many contacts at once (missing channel = 0 = cannot take it) */
  capacity: Readonly<Partial<Record<Channel, number>>>;
  /** channel -> contacts held now (pending offers + connected/unfinished) */
  load: Readonly<Partial<Record<Channel, number>>>;
  /** when the agent last became free (longest idle = earliest) */
  idleSince: Date;
  /** the agent's team, if any: a case's team takes its customers when owner and deputy cannot */
  team?: string | null;
  /** in after-call work until then; not free before it */
  wrapUpUntil: Date | null;
}

/** Facts about a customer's relationships, read when their contact arrived. */
export interface CustomerRelations {
  /** the agent who last handled this customer on this line, and when that contact was connected */
  lastAgent: { agentId: string; connectedAt: Date } | null;
  /** the owner of the customer's open case on this line (as of the pass: a handover counts at once) */
  caseOwnerId: string | null;
  /** the open case the contact belongs to, when it has one (an ownerless case is its team's) */
  caseId?: string | null;
  /** the case owner's deputy: takes the customer when the owner cannot (offline, declined, wait over) */
  caseDeputyId?: string | null;
  /** the case's team: its ready members come after the deputy, before the line's pool */
  caseTeam?: string | null;
  /**
   * a pending transfer of the contact: to a named agent (offered to them if they can take it now, else it comes back),
   * or to a line or the case owner (routed by the policy like any contact of the line)
   */
  transfer?: { kind: 'agent' | 'line' | 'case_owner'; agentId: string | null } | null;
}

/** A contact waiting to be offered. */
export interface WaitingContact {
  id: string;
  line: Line;
  channel: Channel;
  priority: number;
  enqueuedAt: Date;
  /** skill -> minimum level, from the IVR intent rule */
  requiredSkills: Readonly<Record<string, number>>;
  /** who the customer already has a relationship with; the engine decides whether that makes an agent preferred */
  relations: CustomerRelations;
  /** agents that rejected or let an offer of this contact expire: never offered it again */
  excludedAgentIds: readonly string[];
  /** the stages a line rule gave the contact at arrival: when present, they decide who may take it (not sticky) */
  plan?: RoutingPlan | null;
}

export interface RoutingAssignment {
  contactId: string;
  agentId: string;
  reason: OfferReason;
  /** human-readable why, stored with the contact and logged */
  trace: string;
}

export interface RoutingHold {
  contactId: string;
  agentId: string;
  /** when the wait for the preferred agent ends; the caller schedules a new pass then */
  until: Date;
  trace: string;
}

export interface RoutingPassResult {
  /**
   * The input held only the longest-idle ready agents (`agentsComplete: false`) and some contact found none of them
   * suitable: decide again with every agent (see `RoutingEngine.readyAgentsToRead`).
   */
  needsAllAgents: boolean;
  assignments: RoutingAssignment[];
  /** contacts held back waiting for their preferred (sticky) agent */
  holds: RoutingHold[];
  /** contacts that stay queued, with why (no eligible free agent, ...) */
  waiting: { contactId: string; trace: string }[];
  /** transferred contacts whose target agent cannot take them now: they go back to the agent who transferred them */
  returned: { contactId: string; reason: string }[];
  /** contacts waiting in a stage of their plan that ends at `until`: decide again then (the target widens) */
  stageEnds: { contactId: string; until: Date }[];
}

export interface RoutingPassInput {
  line: Line;
  now: Date;
  rules: RoutingRules;
  /** waiting contacts of this line, any order (the engine sorts by priority desc, then enqueuedAt asc, then id) */
  contacts: readonly WaitingContact[];
  /**
   * Agents that serve this line: the ready ones (all, or the longest idle first as `readyAgentsToRead` allows) and
   * every agent a waiting contact has a relationship with, whatever their state.
   */
  agents: readonly AgentCandidate[];
  /** false when the ready agents were capped at `readyAgentsToRead(...)`; default true */
  agentsComplete?: boolean;
}
