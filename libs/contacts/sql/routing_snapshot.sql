-- tether_routing_snapshot(p_line, p_lock_key, p_contact_limit, p_agent_limit): the input of one routing pass
-- (ContactDispatcher). Takes the line's advisory lock, then reads the waiting contacts first (at most
-- p_contact_limit, priority then arrival; none is common, and then nothing else is read), then the longest-idle free
-- agents, as many as the contacts could use (4 per contact, at least 8, at most p_agent_limit: the caller asks again
-- with a higher limit when a contact found none of them suitable), and the preferred agents of sticky contacts who
-- were not among them (signed in but busy, or free but less idle).
--
-- Outcome: json {version, contacts, agents, sticky, agentLimitReached, contactLimitReached}; no codes.
-- Locks: pg_advisory_xact_lock(p_lock_key), the line's lock, held to the end of the caller's transaction, so passes
-- of one line are serialised across instances (tether_commit_offers runs in the same transaction); otherwise reads
-- only. Sets synchronous_commit off for that transaction (see below why that is safe).
--
-- Until commit 9b997df the function took (p_line, p_lock_key, p_agent_limit); a database that ran that version of
-- migration 1764000400000 still has the old overload, dropped here (the convention in libs/persistence/README.md).
DROP FUNCTION IF EXISTS tether_routing_snapshot(text, bigint, int);

CREATE OR REPLACE FUNCTION tether_routing_snapshot(p_line text, p_lock_key bigint, p_contact_limit int, p_agent_limit int)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  v_version int;
  v_contacts json;
  v_count int;
  v_preferred uuid[];
  v_agents json;
  v_free_ids uuid[];
  v_agent_limit int;
  v_sticky json;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock_key);
  -- The pass's commit need not wait for its WAL flush: an offer lost in a crash leaves its contact queued (the
  -- state before the pass, which was durable) and is made again; and an agent's accept, a synchronous commit
  -- later in the same WAL, cannot be durable without it. The webhook, accept and completion stay synchronous.
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT lr.version INTO v_version FROM line_routing lr WHERE lr.line = p_line;

  WITH waiting AS (
    SELECT c.id, c.channel, c.priority, c.enqueued_at, c.required_skills, c.sticky_agent_id, c.sticky_cause,
           c.excluded_agent_ids
      FROM contacts c WHERE c.line = p_line AND c.status = 'queued'
     ORDER BY c.priority DESC, c.enqueued_at, c.id
     LIMIT p_contact_limit
  )
  SELECT json_agg(json_build_object('id', w.id, 'channel', w.channel, 'priority', w.priority,
                    'enqueuedAt', w.enqueued_at, 'requiredSkills', w.required_skills,
                    'preferredAgentId', w.sticky_agent_id, 'preferredCause', w.sticky_cause,
                    'excludedAgentIds', w.excluded_agent_ids)),
         count(*), array_agg(DISTINCT w.sticky_agent_id) FILTER (WHERE w.sticky_agent_id IS NOT NULL)
    INTO v_contacts, v_count, v_preferred
    FROM waiting w;

  IF v_count = 0 THEN
    RETURN json_build_object('version', coalesce(v_version, 0), 'agents', '[]'::json, 'contacts', '[]'::json,
                             'sticky', '[]'::json, 'agentLimitReached', false, 'contactLimitReached', false);
  END IF;

  v_agent_limit := least(p_agent_limit, greatest(8, v_count * 4));
  WITH free AS (
    SELECT a.id, a.lines, a.skills, a.capacity, p.idle_since, p.wrap_up_until
      FROM agent_presence p JOIN agents a ON a.id = p.agent_id
     WHERE p.state = 'available' AND (p.wrap_up_until IS NULL OR p.wrap_up_until <= now())
       AND a.deleted_at IS NULL AND a.lines @> ARRAY[p_line]
       AND EXISTS (SELECT 1 FROM agent_slots s WHERE s.agent_id = p.agent_id AND s.used < s.capacity)
       AND EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = p.agent_id)
     ORDER BY p.idle_since, p.agent_id
     LIMIT v_agent_limit
  )
  SELECT json_agg(json_build_object('id', f.id, 'lines', f.lines, 'skills', f.skills, 'capacity', f.capacity,
                    'state', 'available', 'idleSince', f.idle_since, 'wrapUpUntil', f.wrap_up_until,
                    'connected', true,
                    'load', coalesce((SELECT json_object_agg(s.channel, s.used) FROM agent_slots s WHERE s.agent_id = f.id), '{}'::json))),
         array_agg(f.id)
    INTO v_agents, v_free_ids
    FROM free f;

  IF v_preferred IS NOT NULL THEN
    SELECT json_agg(json_build_object('id', a.id, 'lines', a.lines, 'skills', a.skills, 'capacity', a.capacity,
                      'state', p.state, 'idleSince', p.idle_since, 'wrapUpUntil', p.wrap_up_until,
                      'connected', EXISTS (SELECT 1 FROM agent_connections ac WHERE ac.agent_id = a.id),
                      'load', coalesce((SELECT json_object_agg(s.channel, s.used) FROM agent_slots s WHERE s.agent_id = a.id), '{}'::json)))
      INTO v_sticky
      FROM agents a JOIN agent_presence p ON p.agent_id = a.id
     WHERE a.id = ANY (v_preferred) AND NOT (a.id = ANY (coalesce(v_free_ids, '{}'::uuid[])))
       AND a.deleted_at IS NULL AND p.state <> 'offline';
  END IF;

  RETURN json_build_object('version', coalesce(v_version, 0), 'agents', coalesce(v_agents, '[]'::json),
                           'contacts', v_contacts, 'sticky', coalesce(v_sticky, '[]'::json),
                           'agentLimitReached', coalesce(array_length(v_free_ids, 1), 0) >= v_agent_limit,
                           'contactLimitReached', v_count >= p_contact_limit);
END
$fn$;
