-- tether_live_view(p_lines, p_page_lines, p_page_numbers, p_page_size): the facts of the supervisors' live view in one
-- read, for every socket of a gateway at once (LiveViewService): for each line of p_lines how many contacts wait on
-- it; for each requested page (p_page_lines[i], page p_page_numbers[i], 0-based, p_page_size contacts) those
-- contacts in service order with the facts the routing pass reads about them (skills, plan, relations, transfer,
-- callback window) and their customer; and every agent of those lines with presence, load per channel and the
-- contact they hold. Waiting means status 'queued' on the line it waits on (a pending transfer's target line, else
-- its own, as QueueSnapshotService), a callback before its window included (its reason to wait is that window).
-- Bounded: p_page_size contacts per requested page, whatever the queue's length.
--
-- Outcome: json {now, totals: [{line, total}], pages: [{line, page, contacts: [...]}], agents: [...]}; no codes.
-- Locks: none (reads only; no line lock: the view must never hold up a routing pass).

CREATE OR REPLACE FUNCTION tether_live_view(
  p_lines text[], p_page_lines text[], p_page_numbers int[], p_page_size int
) RETURNS json LANGUAGE sql STABLE AS $fn$
  WITH waiting AS (
    SELECT c.id, coalesce(t.target_line, c.routed_line, c.line) AS line, c.channel, c.priority, c.enqueued_at, c.required_skills,
           c.sticky_agent_id, c.last_agent_at, c.excluded_agent_ids, c.case_id, c.routing_plan, c.not_before,
           c.customer_id, t.target_kind, t.target_agent_id
      FROM contacts c LEFT JOIN transfers t ON t.id = c.transfer_id AND t.state = 'pending'
     WHERE c.status = 'queued' AND coalesce(t.target_line, c.routed_line, c.line) = ANY (p_lines)
  ), totals AS (
    SELECT l.line, count(w.id)::int AS total
      FROM unnest(p_lines) AS l(line) LEFT JOIN waiting w ON w.line = l.line
     GROUP BY l.line
  ), requested AS (
    SELECT DISTINCT r.line, r.page FROM unnest(p_page_lines, p_page_numbers) AS r(line, page)
  ), paged AS (
    SELECT r.page, p.*
      FROM requested r
      CROSS JOIN LATERAL (
        SELECT w.* FROM waiting w WHERE w.line = r.line
         ORDER BY w.priority DESC, w.enqueued_at, w.id
         OFFSET r.page * p_page_size LIMIT p_page_size
      ) p
  ), contacts_json AS (
    SELECT p.line, p.page,
           json_agg(json_build_object(
             'id', p.id, 'channel', p.channel, 'priority', p.priority, 'enqueuedAt', p.enqueued_at,
             'requiredSkills', p.required_skills, 'lastAgentId', p.sticky_agent_id, 'lastAgentAt', p.last_agent_at,
             'excludedAgentIds', p.excluded_agent_ids, 'plan', p.routing_plan, 'notBefore', p.not_before,
             'case', CASE WHEN k.id IS NOT NULL THEN json_build_object('id', k.id, 'ownerId', k.owner_id,
                       'deputyId', o.deputy_id, 'team', k.team) END,
             'transfer', CASE WHEN p.target_kind IS NOT NULL THEN json_build_object('kind', p.target_kind,
                       'agentId', p.target_agent_id) END,
             'customer', json_build_object('id', cu.id, 'known', coalesce(cu.known, false), 'name', cu.name))
             ORDER BY p.priority DESC, p.enqueued_at, p.id) AS contacts
      FROM paged p
      LEFT JOIN cases k ON k.id = p.case_id AND k.status IN ('open', 'waiting_on_customer')
      LEFT JOIN agents o ON o.id = k.owner_id
      LEFT JOIN customers cu ON cu.id = p.customer_id
     GROUP BY p.line, p.page
  ), agents_json AS (
    SELECT json_agg(json_build_object(
             'id', a.id, 'name', a.name, 'lines', a.lines, 'skills', a.skills, 'capacity', a.capacity,
             'team', a.team, 'state', p.state, 'stateSince', p.state_since, 'idleSince', p.idle_since,
             'wrapUpUntil', p.wrap_up_until,
             'connected', EXISTS (SELECT 1 FROM agent_connections k WHERE k.agent_id = a.id),
             'load', (SELECT coalesce(json_object_agg(s.channel, s.used), '{}'::json)
                        FROM agent_slots s WHERE s.agent_id = a.id AND s.used > 0),
             'contactId', coalesce(
               (SELECT c.id FROM contacts c WHERE c.agent_id = a.id AND c.work_open
                 ORDER BY c.connected_at DESC LIMIT 1),
               (SELECT x.contact_id FROM offers x WHERE x.agent_id = a.id AND x.state = 'pending'
                 ORDER BY x.created_at DESC LIMIT 1)))
             ORDER BY a.name, a.id) AS agents
      FROM agents a JOIN agent_presence p ON p.agent_id = a.id
     WHERE a.deleted_at IS NULL AND a.lines && p_lines
  )
  SELECT json_build_object(
    'now', now(),
    'totals', (SELECT coalesce(json_agg(json_build_object('line', t.line, 'total', t.total)), '[]'::json) FROM totals t),
    'pages', (SELECT coalesce(json_agg(json_build_object('line', r.line, 'page', r.page,
                                                        'contacts', coalesce(c.contacts, '[]'::json))), '[]'::json)
                FROM requested r LEFT JOIN contacts_json c ON c.line = r.line AND c.page = r.page),
    'agents', (SELECT coalesce(agents, '[]'::json) FROM agents_json))
$fn$;
