import type { RoutingRules, StickyCause, WaitingContact } from './routing.types';

const DAY_MS = 24 * 3600 * 1000;

export interface PreferredAgent {
  agentId: string;
  cause: StickyCause;
}

/**
 * The agent a contact goes to first, if any: the one step of policy behind sticky and case-owner routing. The
 * owner of the customer's open case comes first (they own the problem); otherwise the agent who last handled the
 * customer on this line, if that was within `sticky.horizonDays` of this contact's arrival (older history does not
 * make a contact sticky). Nothing is preferred while the line's sticky routing is disabled.
 */
export function preferredAgentFor(contact: WaitingContact, rules: RoutingRules): PreferredAgent | null {
  if (!rules.sticky.enabled) return null;
  const { caseOwnerId, lastAgent } = contact.relations;
  if (caseOwnerId !== null) return { agentId: caseOwnerId, cause: 'case_owner' };
  if (lastAgent === null) return null;
  const horizonStartMs = contact.enqueuedAt.getTime() - rules.sticky.horizonDays * DAY_MS;
  if (lastAgent.connectedAt.getTime() <= horizonStartMs) return null;
  return { agentId: lastAgent.agentId, cause: 'last_agent' };
}
