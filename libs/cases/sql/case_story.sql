-- tether_case_story(p_case, p_contacts): the story so far of a case, as an agent reads it while the phone rings and
-- as GET /v1/cases/{id} returns it: json {id, customerId, line, subject, status, owner {id, name} | null, team, dueAt,
-- overdue, openedAt, updatedAt, resolvedAt, ageSeconds, contactCount, contacts [the latest p_contacts linked contacts,
-- newest first: id, line, channel, agentId, resolution, notes, startedAt], promises []}. `promises` stays empty until
-- callbacks promised to a customer are recorded against their case. NULL for an unknown case.
--
-- Outcome: the json or NULL; no codes. STABLE. Locks: none (reads cases, agents, contacts).

CREATE OR REPLACE FUNCTION tether_case_story(p_case uuid, p_contacts int) RETURNS json
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  v json;
BEGIN
  IF p_case IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT json_build_object(
           'id', k.id, 'customerId', k.customer_id, 'line', k.line, 'subject', k.subject, 'status', k.status,
           'owner', CASE WHEN k.owner_id IS NULL THEN NULL ELSE json_build_object('id', a.id, 'name', a.name) END,
           'team', k.team, 'dueAt', to_char(k.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'overdue', k.due_at IS NOT NULL AND k.due_at < now() AND k.status IN ('open', 'waiting_on_customer'),
           'openedAt', to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'updatedAt', to_char(k.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'resolvedAt', to_char(k.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'ageSeconds', floor(extract(epoch FROM now() - k.created_at))::bigint,
           'contactCount', (SELECT count(*) FROM contacts x WHERE x.case_id = k.id),
           'contacts', (SELECT coalesce(json_agg(json_build_object('id', h.id, 'line', h.line, 'channel', h.channel,
                                'agentId', h.agent_id, 'resolution', h.resolution, 'notes', h.notes,
                                'startedAt', to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY h.created_at DESC, h.id DESC), '[]'::json)
                          FROM (SELECT * FROM contacts x WHERE x.case_id = k.id
                                 ORDER BY x.created_at DESC, x.id DESC LIMIT p_contacts) h),
           'promises', '[]'::json)
    INTO v
    FROM cases k LEFT JOIN agents a ON a.id = k.owner_id
   WHERE k.id = p_case;
  RETURN v;
END
$fn$;
