/** The vocabulary of routing. Plain data: no framework, no I/O. */

/**
 * A line's name, as read from the `lines` table (`@tether/lines`): `sales`, `presales` and `service` by default, and
 * whatever rows are added. The engine never enumerates lines; it routes the one it is given.
 */
export type Line = string;

export const CHANNELS = ['voice', 'chat', 'email', 'messenger'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PRESENCE_STATES = ['available', 'away', 'offline'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];

/** Why an agent was offered a contact; travels in the `offer` event's `reason`. */
export type OfferReason = 'sticky' | 'skills';

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
  };
  offerTimeoutSeconds: number;
  wrapUpSeconds: number;
  /** IVR intent -> required skills and priority */
  intents: Record<string, IntentRule>;
}

export const DEFAULT_ROUTING_RULES: RoutingRules = {
  sticky: { enabled: true, waitSeconds: 30, horizonDays: 30 },
  offerTimeoutSeconds: 20,
  wrapUpSeconds: 0,
  intents: {},
};

/** An agent as the engine sees it at the moment of a routing pass. */
export interface AgentCandidate {
  id: string;
  presence: PresenceState;
  lines: readonly Line[];
  skills: Readonly<Record<string, number>>;
  /** channel -> how many contacts at once (missing channel = 0 = cannot take it) */
  capacity: Readonly<Partial<Record<Channel, number>>>;
  /** channel -> contacts held now (pending offers + connected/unfinished) */
  load: Readonly<Partial<Record<Channel, number>>>;
  /** when the agent last became free (longest idle = earliest) */
  idleSince: Date;
  /** in after-call work until then; not free before it */
  wrapUpUntil: Date | null;
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
  /** agent this customer should go to first (last agent on this line within the horizon, or case owner) */
  preferredAgentId: string | null;
  preferredCause: StickyCause | null;
  /** agents that rejected or let an offer of this contact expire: never offered it again */
  excludedAgentIds: readonly string[];
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
  assignments: RoutingAssignment[];
  /** contacts held back waiting for their preferred (sticky) agent */
  holds: RoutingHold[];
  /** contacts that stay queued, with why (no eligible free agent, ...) */
  waiting: { contactId: string; trace: string }[];
}

export interface RoutingPassInput {
  line: Line;
  now: Date;
  rules: RoutingRules;
  /** waiting contacts of this line, any order (the engine sorts by priority desc, then enqueuedAt asc, then id) */
  contacts: readonly WaitingContact[];
  /** agents that serve this line (any presence) */
  agents: readonly AgentCandidate[];
}
