import type { RoutingRules, StickyCause, WaitingContact } from './routing.types';

const DAY_MS = 24 * 3600 * 1000;

export interface PreferredAgent {
  agentId: string;
  cause: StickyCause;
}

/**
 * The agent a contact goes to first, if any: the one step of policy behind sticky and case-owner routing. The
 * owner of the customer's open case comes first (they own the problem); otherwise, for a contact without a case, the
 * agent who last handled the customer on this line, if that was within `sticky.horizonDays` of this contact's arrival
 * (older history does not make a contact sticky). Nothing is preferred while the line's sticky routing is disabled.
 */
export function preferredAgentFor(contact: WaitingContact, rules: RoutingRules): PreferredAgent | null {
  if (!rules.sticky.enabled) return null;
  const { caseOwnerId, lastAgent } = contact.relations;
  if (caseOwnerId !== null) return { agentId: caseOwnerId, cause: 'case_owner' };
  // a case without an owner (handed to its team) belongs to the team: the last agent is no longer the relationship
  if (hasCase(contact)) return null;
  if (lastAgent === null) return null;
  const horizonStartMs = contact.enqueuedAt.getTime() - rules.sticky.horizonDays * DAY_MS;
  if (lastAgent.connectedAt.getTime() <= horizonStartMs) return null;
  return { agentId: lastAgent.agentId, cause: 'last_agent' };
}

/** Whether the contact belongs to an open case (owned or its team's). */
export function hasCase(contact: WaitingContact): boolean {
  const { caseId, caseOwnerId } = contact.relations;
  return caseOwnerId !== null || (caseId !== undefined && caseId !== null);
}

/**
 * Who takes a case's customer, in order, when its owner cannot (offline, not on the line, declined, cannot take the
 * channel, or the wait for them is over): the owner's deputy, then the case's team. Nobody when sticky routing is off
 * or the contact has no case: the line's pool (skills) comes next either way.
 */
export function caseFallbackFor(
  contact: WaitingContact,
  rules: RoutingRules,
): { deputyId: string | null; team: string | null } | null {
  if (!rules.sticky.enabled || !hasCase(contact)) return null;
  const deputyId = contact.relations.caseDeputyId ?? null;
  const team = contact.relations.caseTeam ?? null;
  if (deputyId === null && team === null) return null;
  return { deputyId, team };
}
