import type {
  AgentCandidate,
  Channel,
  CustomerRelations,
  Line,
  OfferReason,
  PresenceState,
} from '../routing.types';
import type { ContactFacts } from '../rule-set.types';

/** A contact as it was recorded arriving on the line: what the rules and the engine are replayed on. */
export interface ReplayContact {
  id: string;
  channel: Channel;
  /** when it joined the queue (the simulated arrival) */
  arrivedAt: Date;
  /** what the line's rules are evaluated on (the recorded IVR, number and customer facts) */
  facts: ContactFacts;
  /** its relations as recorded at arrival: last agent on the line and when, the open case and its owner */
  relations: CustomerRelations;
  /**
   * it called another line and was redirected here (contacts.routed_line): decided by this line's rules, without a
   * further redirect or overflow, as the live path does
   */
  redirectedIn: boolean;
  /** how long an agent worked on it (answer to completion), as recorded; null when nobody answered it */
  handlingSeconds: number | null;
  /** when the caller hung up unanswered, as recorded: a simulated contact still waiting then abandons too */
  abandonAt: Date | null;
  /** what happened in reality, for the calibration figures */
  recorded: RecordedOutcome;
}

export interface RecordedOutcome {
  /** arrival to first answer, seconds; null when never answered */
  waitSeconds: number | null;
  /** the accepted offer's reason (sticky, case_owner, skills, ...) */
  reason: OfferReason | null;
  /** who answered it (the first accepted offer's agent) */
  agentId: string | null;
  abandoned: boolean;
  /** the line it waited on, when a redirect or overflow sent it to another one */
  otherLine: Line | null;
}

/** An agent of the line with their facts (current values: skills, lines and capacity are not recorded over time). */
export type ReplayAgent = Pick<AgentCandidate, 'id' | 'lines' | 'skills' | 'capacity' | 'team'>;

/** One presence change (agent_presence_events); the state each agent had at the period's start comes first. */
export interface PresenceChange {
  at: Date;
  agentId: string;
  state: PresenceState;
}

/** Work an agent of the line did for another line (recorded): it takes one of their slots of that channel. */
export interface ForeignWork {
  agentId: string;
  channel: Channel;
  from: Date;
  to: Date;
}

/** Everything a replay needs, read once; the same input replays under any rules. */
export interface ReplayTraffic {
  line: Line;
  from: Date;
  to: Date;
  /** in arrival order */
  contacts: readonly ReplayContact[];
  agents: readonly ReplayAgent[];
  /** in time order */
  presence: readonly PresenceChange[];
  foreignWork: readonly ForeignWork[];
}

export type ReplayOutcomeKind = 'answered' | 'abandoned' | 'redirected' | 'overflow' | 'unanswered';

/** What one simulated run did with one contact. */
export interface ReplayOutcome {
  kind: ReplayOutcomeKind;
  /** the rule that decided it (null: the line's intents) */
  rule: string | null;
  /** 1-based stage of the rule's plan it was answered (or abandoned) in; null without stages */
  stage: number | null;
  agentId: string | null;
  reason: OfferReason | null;
  /** arrival to answer (answered) or to hang-up (abandoned); null otherwise */
  waitSeconds: number | null;
  /** the line a redirect or an overflow to a line sent it to */
  otherLine: Line | null;
}

/** One simulated run: an outcome per contact, by index in `ReplayTraffic.contacts`. */
export interface ReplayRun {
  outcomes: ReplayOutcome[];
  /** routing passes the run decided (engine calls) */
  passes: number;
}
