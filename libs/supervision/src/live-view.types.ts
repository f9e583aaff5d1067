import type { Channel, Line, PresenceState, RoutingPlan } from '@tether/routing';

/** The facts `tether_live_view` reads (live_view.sql), as JSON. */
export interface LiveViewFacts {
  /** @format date-time */
  now: string;
  totals: { line: Line; total: number }[];
  pages: { line: Line; page: number; contacts: LiveContactFacts[] }[];
  agents: LiveAgentFacts[];
}

export interface LiveContactFacts {
  id: string;
  channel: Channel;
  priority: number;
  enqueuedAt: string;
  requiredSkills: Record<string, number>;
  lastAgentId: string | null;
  lastAgentAt: string | null;
  excludedAgentIds: string[];
  plan: RoutingPlan | null;
  notBefore: string | null;
  case: { id: string; ownerId: string | null; deputyId: string | null; team: string | null } | null;
  transfer: { kind: 'agent' | 'line' | 'case_owner'; agentId: string | null } | null;
  customer: { id: string | null; known: boolean; name: string | null };
}

export interface LiveAgentFacts {
  id: string;
  name: string;
  lines: Line[];
  skills: Record<string, number>;
  capacity: Partial<Record<Channel, number>>;
  team: string | null;
  state: PresenceState;
  stateSince: string;
  idleSince: string;
  wrapUpUntil: string | null;
  connected: boolean;
  load: Partial<Record<Channel, number>>;
  contactId: string | null;
}

/** Which page of a line's waiting contacts (0-based). */
export interface LivePageRequest {
  line: Line;
  page: number;
}
