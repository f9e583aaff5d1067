import type { Channel, Line, PresenceState, RoutingPlan } from '@tether/routing';

/** What `tether_routing_snapshot` returns: one routing pass's input, as facts, read under the line's lock. */
export interface RoutingSnapshot {
  /** the database's clock when the line's lock was granted: every decision of the pass is made at this time */
  now: string;
  version: number;
  agents: SnapshotAgent[];
  contacts: SnapshotContact[];
  agentsComplete: boolean;
  contactLimitReached: boolean;
}

export interface SnapshotAgent {
  id: string;
  lines: Line[];
  skills: Record<string, number>;
  capacity: Partial<Record<Channel, number>>;
  state: PresenceState;
  idleSince: string;
  wrapUpUntil: string | null;
  connected: boolean;
  load: Partial<Record<Channel, number>>;
  team: string | null;
}

export interface SnapshotContact {
  id: string;
  channel: Channel;
  priority: number;
  enqueuedAt: string;
  requiredSkills: Record<string, number>;
  lastAgentId: string | null;
  lastAgentAt: string | null;
  excludedAgentIds: string[];
  /** the stages a line rule gave the contact at arrival (contacts.routing_plan), or null */
  plan: RoutingPlan | null;
  /** the open case the contact is linked to: its owner now, the owner's deputy, its team */
  case: { id: string; ownerId: string | null; deputyId: string | null; team: string | null } | null;
  /** the contact's pending transfer: to an agent (`agentId`), a line or the case owner */
  transfer: { id: string; kind: 'agent' | 'line' | 'case_owner'; agentId: string | null } | null;
}
