import { normalizePhone } from '@tether/customers';
import { one, Sql } from '@tether/persistence';
import type { CustomerFacts, CustomerRelations, Line } from '@tether/routing';

/**
 * What line rules may ask about a caller, read by their number before the intake: their id (never-match pairs),
 * attributes, whether they are a known customer, the lines they have an open case on (this one: `openCase`),
 * their latest contact, whether an active incident affects them on this line (`tether_incident_affecting`, as intake
 * links one). Null for a number not on record that no active incident affects; for one an incident affects (by its
 * line or number prefix), an unknown caller's facts with `activeIncident`.
 */
export async function customerFacts(
  sql: Sql,
  line: Line,
  from: string,
  /** the identity's kind: a message's sender may be known by e-mail or handle (already normalized) */
  kind: 'phone' | 'email' | 'handle' = 'phone',
): Promise<CustomerFacts | null> {
  const phone = kind === 'phone' ? normalizePhone(from) : from;
  if (phone === null) return null;
  const row = await one<{
    id: string;
    known: boolean;
    attributes: Record<string, unknown> | null;
    open_case_lines: string[];
    last_contact_at: Date | null;
    active_incident: boolean;
  }>(
    sql,
    `SELECT cu.id, cu.known, cu.attributes,
            EXISTS (SELECT 1 FROM tether_incident_affecting(cu.id, $4, $3)) AS active_incident,
            ARRAY(SELECT DISTINCT k.line FROM cases k WHERE k.customer_id = cu.id
                     AND k.status IN ('open', 'waiting_on_customer')) AS open_case_lines,
            (SELECT c.created_at FROM contacts c WHERE c.customer_id = cu.id
              ORDER BY c.created_at DESC LIMIT 1) AS last_contact_at
       FROM customer_identities ci JOIN customers cu ON cu.id = ci.customer_id
      WHERE ci.kind = $2 AND ci.value = $1`,
    [phone, kind, line, kind === 'phone' ? phone : null],
  );
  if (row === undefined) {
    // not on record: an incident can still affect the caller by the line or their number's prefix
    const affected = await one<{ active_incident: boolean }>(
      sql,
      `SELECT EXISTS (SELECT 1 FROM tether_incident_affecting(NULL, $1, $2)) AS active_incident`,
      [kind === 'phone' ? phone : null, line],
    );
    if (affected?.active_incident !== true) return null;
    return {
      id: null,
      known: false,
      attributes: {},
      openCase: false,
      openCaseLines: [],
      lastContactAt: null,
      activeIncident: true,
    };
  }
  return {
    id: row.id,
    known: row.known,
    attributes: row.attributes ?? {},
    openCase: row.open_case_lines.includes(line),
    openCaseLines: row.open_case_lines,
    lastContactAt: row.last_contact_at,
    activeIncident: row.active_incident,
  };
}

/**
 * The relations a call from this number would arrive with on this line, read as `tether_receive_call` records them
 * (its last agent, not deleted; its newest open case on the line, with the case's owner, the owner's deputy and team
 * as `tether_routing_snapshot` reads them): the simulator's hypothetical contact.
 */
export async function relationsFor(sql: Sql, line: Line, from: string): Promise<CustomerRelations> {
  const phone = normalizePhone(from);
  const none: CustomerRelations = { lastAgent: null, caseOwnerId: null, caseId: null };
  if (phone === null) return none;
  const row = await one<{
    last_agent_id: string | null;
    last_agent_at: Date | null;
    case_id: string | null;
    owner_id: string | null;
    deputy_id: string | null;
    team: string | null;
  }>(
    sql,
    `SELECT l.agent_id AS last_agent_id, l.connected_at AS last_agent_at,
            k.id AS case_id, k.owner_id, o.deputy_id, k.team
       FROM customer_identities ci
       LEFT JOIN LATERAL (
         SELECT c.agent_id, c.connected_at FROM contacts c JOIN agents a ON a.id = c.agent_id AND a.deleted_at IS NULL
          WHERE c.customer_id = ci.customer_id AND c.line = $2 AND c.agent_id IS NOT NULL
          ORDER BY c.connected_at DESC LIMIT 1) l ON true
       LEFT JOIN LATERAL (
         SELECT k.id, k.owner_id, k.team FROM cases k
          WHERE k.customer_id = ci.customer_id AND k.line = $2 AND k.status IN ('open', 'waiting_on_customer')
          ORDER BY k.updated_at DESC, k.id LIMIT 1) k ON true
       LEFT JOIN agents o ON o.id = k.owner_id
      WHERE ci.kind = 'phone' AND ci.value = $1`,
    [phone, line],
  );
  if (row === undefined) return none;
  return {
    lastAgent:
      row.last_agent_id !== null && row.last_agent_at !== null
        ? { agentId: row.last_agent_id, connectedAt: row.last_agent_at }
        : null,
    caseOwnerId: row.owner_id,
    caseId: row.case_id,
    caseDeputyId: row.deputy_id,
    caseTeam: row.team,
  };
}
