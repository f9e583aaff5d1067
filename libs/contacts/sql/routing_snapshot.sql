-- tether_routing_snapshot(p_line, p_lock_key, p_contact_limit, p_ready_per_contact, p_min_ready, p_all_ready): the
-- input of one routing pass (ContactDispatcher), as facts; libs/routing's RoutingEngine makes every decision.
-- Takes the line's advisory lock, then reads:
--   * the waiting contacts, in queue order (the line's own, but for those transferred or redirected to another line,
--     and those transferred to it from another line: transfer_contact.sql, or redirected to it at arrival by a line
--     rule or queue limit: contacts.routed_line; not a callback before its window or retry delay,
--     contacts.not_before) (compareQueueOrder in libs/routing; queue-order.int-spec.ts checks this
--     ORDER BY against it), at most p_contact_limit; none is common, and then nothing else is read. Each with its
--     customer's relations: the last agent on this line and when that contact was connected (recorded at arrival
--     by tether_receive_call), and its open case (owner, owner's deputy, team); whether that makes the agent preferred (horizon, sticky on/off) is the engine's call;
--   * the ready agents of the line (isReady in libs/routing: available, connected, out of wrap-up, with a free slot),
--     longest idle first, as many as RoutingEngine.readyAgentsToRead says (p_ready_per_contact per contact, at
--     least p_min_ready), or all of them when p_all_ready (the engine asked: needsAllAgents);
--   * every agent a waiting contact is related to, whatever their state (the engine decides whether to wait for
--     them): the last agent, and for a contact linked to an open case (contacts.case_id, set at arrival) the case's
--     owner as of now and the owner's deputy; the target agent of a pending transfer; and the ready agents of that
--     case's team;
--   * with each contact, the stages a line rule gave it at arrival (contacts.routing_plan, null for most): which one
--     applies now is the engine's reading of the time waited;
--   * the database's clock after the lock was granted (`now`), the time every decision of the pass is made at.
--
-- Outcome: json {now, version, contacts, agents, agentsComplete, contactLimitReached}; no codes.
-- Locks: pg_advisory_xact_lock(p_lock_key), the line's lock, held to the end of the caller's transaction, so passes
-- of one line are serialised across instances (tether_commit_offers runs in the same transaction); otherwise reads
-- only. Sets synchronous_commit off for that transaction (see below why that is safe).
--
-- Earlier signatures: (p_line, p_lock_key, p_agent_limit) before commit 9b997df, and (p_line, p_lock_key,
-- p_contact_limit, p_agent_limit) while the snapshot judged eligibility itself; both are dropped here.
DROP FUNCTION IF EXISTS tether_routing_snapshot(text, bigint, int);
DROP FUNCTION IF EXISTS tether_routing_snapshot(text, bigint, int, int);

CREATE OR REPLACE FUNCTION tether_routing_snapshot(
  p_line text, p_lock_key bigint, p_contact_limit int, p_ready_per_contact int, p_min_ready int, p_all_ready boolean
) RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  v_now timestamptz;
  v_version int;
  v_contacts json;
  v_count int;
  v_related uuid[];
  v_teams text[];
  v_ready_limit int;
  v_ready_ids uuid[];
  v_team_ids uuid[];
  v_candidates uuid[];
  v_factor int;
  v_agents json;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock_key);
  -- after the lock: waiting for another pass must not make this one decide in the past
  v_now := clock_timestamp();
  -- The pass's commit need not wait for its WAL flush: an offer lost in a crash leaves its contact queued (the
  -- state before the pass, which was durable) and is made again; and an agent's accept, a synchronous commit
  -- later in the same WAL, cannot be durable without it. The webhook, accept and completion stay synchronous.
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT lr.version INTO v_version FROM line_routing lr WHERE lr.line = p_line;

  WITH waiting AS (
    SELECT * FROM (
      -- the line's own callers (minus those being transferred to another line) ...
      (SELECT c.id, c.channel, c.priority, c.enqueued_at, c.required_skills, c.sticky_agent_id, c.last_agent_at,
              c.excluded_agent_ids, c.case_id, c.transfer_id, c.routing_plan
         FROM contacts c WHERE c.line = p_line AND c.status = 'queued' AND c.routed_line IS NULL
          AND (c.not_before IS NULL OR c.not_before <= v_now)
          AND (c.transfer_id IS NULL
               OR EXISTS (SELECT 1 FROM transfers t WHERE t.id = c.transfer_id AND t.target_line = p_line))
        ORDER BY c.priority DESC, c.enqueued_at, c.id
        LIMIT p_contact_limit)
      UNION ALL
      -- ... the callers a rule or an overflow redirected to it from the line they called (contacts.routed_line) ...
      (SELECT c.id, c.channel, c.priority, c.enqueued_at, c.required_skills, c.sticky_agent_id, c.last_agent_at,
              c.excluded_agent_ids, c.case_id, c.transfer_id, c.routing_plan
         FROM contacts c WHERE c.routed_line = p_line AND c.status = 'queued'
          AND (c.not_before IS NULL OR c.not_before <= v_now)
          AND (c.transfer_id IS NULL
               OR EXISTS (SELECT 1 FROM transfers t WHERE t.id = c.transfer_id AND t.target_line = p_line))
        ORDER BY c.priority DESC, c.enqueued_at, c.id
        LIMIT p_contact_limit)
      UNION ALL
      -- ... and the callers of other lines transferred to it, in their old place
      (SELECT c.id, c.channel, c.priority, c.enqueued_at, c.required_skills, c.sticky_agent_id, c.last_agent_at,
              c.excluded_agent_ids, c.case_id, c.transfer_id, c.routing_plan
         FROM transfers t JOIN contacts c ON c.id = t.contact_id AND c.transfer_id = t.id
        WHERE t.state = 'pending' AND t.target_line = p_line AND coalesce(c.routed_line, c.line) <> p_line
          AND c.status = 'queued'
        ORDER BY c.priority DESC, c.enqueued_at, c.id
        LIMIT p_contact_limit)
    ) both_ ORDER BY priority DESC, enqueued_at, id
    LIMIT p_contact_limit
  ), related AS (
    -- the open case's owner (now: a handover while the contact waits counts), the owner's deputy, the case's team
    SELECT w.*, k.owner_id AS case_owner_id, o.deputy_id AS case_deputy_id, k.team AS case_team,
           k.id IS NOT NULL AS has_case, t.target_kind, t.target_agent_id
      FROM waiting w
      LEFT JOIN cases k ON k.id = w.case_id AND k.status IN ('open', 'waiting_on_customer')
      LEFT JOIN agents o ON o.id = k.owner_id
      LEFT JOIN transfers t ON t.id = w.transfer_id
  )
  SELECT json_agg(json_build_object('id', w.id, 'channel', w.channel, 'priority', w.priority,
                    'enqueuedAt', w.enqueued_at, 'requiredSkills', w.required_skills,
                    'lastAgentId', w.sticky_agent_id, 'lastAgentAt', w.last_agent_at,
                    'excludedAgentIds', w.excluded_agent_ids, 'plan', w.routing_plan,
                    'case', CASE WHEN w.has_case THEN json_build_object('id', w.case_id, 'ownerId', w.case_owner_id,
                              'deputyId', w.case_deputy_id, 'team', w.case_team) END,
                    'transfer', CASE WHEN w.transfer_id IS NOT NULL THEN json_build_object('id', w.transfer_id,
                              'kind', w.target_kind, 'agentId', w.target_agent_id) END)
                  ORDER BY w.priority DESC, w.enqueued_at, w.id),
         count(*),
         (SELECT array_agg(DISTINCT r.agent_id) FROM related x,
                 LATERAL (VALUES (x.sticky_agent_id), (x.case_owner_id), (x.case_deputy_id), (x.target_agent_id))
                   r(agent_id)
           WHERE r.agent_id IS NOT NULL),
         (SELECT array_agg(DISTINCT x.case_team) FROM related x WHERE x.case_team IS NOT NULL)
    INTO v_contacts, v_count, v_related, v_teams
    FROM related w;

  IF v_count = 0 THEN
    RETURN json_build_object('now', v_now, 'version', coalesce(v_version, 0), 'agents', '[]'::json,
                             'contacts', '[]'::json, 'agentsComplete', true, 'contactLimitReached', false);
  END IF;

  v_ready_limit := CASE WHEN p_all_ready THEN NULL ELSE greatest(p_min_ready, v_count * p_ready_per_contact) END;
  -- The ready agents, longest idle first. No index is kept on idle_since: each completion moves it, an index on it
  -- made every presence update a non-HOT one, and a walk of it in idle order went through the dead entries all those
  -- updates leave at its front (migration 1764005000000). Joining every available agent to their agent row, slots
  -- and connections costs what the agents online number (bench/README.md, "Session 9"). So first the longest idle of
  -- every available agent out of wrap-up, from agent_presence alone (its narrowest read, and a top-N sort), 4 times
  -- as many as needed, then 32 times, then all of them (at once when p_all_ready); and the per-agent checks (the
  -- line, a free slot, a connection) by key on those candidates only. The candidates are a prefix of the same order,
  -- so what they yield is the answer unless they ran out before enough qualified (agents of other lines, busy or
  -- gone, idle longer): then the next size.
  v_factor := CASE WHEN v_ready_limit IS NULL THEN NULL ELSE 4 END;
  LOOP
    SELECT array_agg(c.agent_id ORDER BY c.idle_since, c.agent_id) INTO v_candidates FROM (
      SELECT p.agent_id, p.idle_since
        FROM agent_presence p
       WHERE p.state = 'available' AND (p.wrap_up_until IS NULL OR p.wrap_up_until <= v_now)
         -- in a disconnect grace: no connection (AgentPresenceService sets it only then, under the row's lock), so
         -- never ready; left in, a restart's worth of agents idle longest filled every prefix (bench/README.md,
         -- "Session 11")
         AND p.disconnected_at IS NULL
       ORDER BY p.idle_since, p.agent_id
       LIMIT v_ready_limit * v_factor -- NULL: all
    ) c;
    SELECT array_agg(r.agent_id ORDER BY r.n) INTO v_ready_ids FROM (
      SELECT u.agent_id, u.n
        FROM unnest(v_candidates) WITH ORDINALITY u(agent_id, n)
       -- scalar subqueries, not EXISTS: as semi-joins, the cached generic plan hashed every agent's slots
       WHERE (SELECT a.deleted_at IS NULL AND a.lines @> ARRAY[p_line] FROM agents a WHERE a.id = u.agent_id)
         AND (SELECT bool_or(s.used < s.capacity) FROM agent_slots s WHERE s.agent_id = u.agent_id)
         AND (SELECT true FROM agent_connections c WHERE c.agent_id = u.agent_id LIMIT 1)
       ORDER BY u.n
       LIMIT v_ready_limit
    ) r;
    -- every available agent was a candidate, or enough qualified
    EXIT WHEN v_factor IS NULL OR coalesce(array_length(v_candidates, 1), 0) < v_ready_limit * v_factor
              OR coalesce(array_length(v_ready_ids, 1), 0) >= v_ready_limit;
    v_factor := CASE WHEN v_factor = 4 THEN 32 END;
  END LOOP;

  -- the ready members of a waiting case's team (the engine's fallback after the owner and their deputy)
  IF v_teams IS NOT NULL THEN
    SELECT array_agg(a.id) INTO v_team_ids
      FROM agents a JOIN agent_presence p ON p.agent_id = a.id
     WHERE a.team = ANY (v_teams) AND a.deleted_at IS NULL AND a.lines @> ARRAY[p_line] AND p.state = 'available'
       AND (p.wrap_up_until IS NULL OR p.wrap_up_until <= v_now)
       AND EXISTS (SELECT 1 FROM agent_connections ac WHERE ac.agent_id = a.id);
  END IF;

  -- every agent above, by key (as one OR of the three lists, the planner read every agent)
  SELECT json_agg(json_build_object('id', a.id, 'lines', a.lines, 'skills', a.skills, 'capacity', a.capacity,
                    'team', a.team,
                    'state', p.state, 'idleSince', p.idle_since, 'wrapUpUntil', p.wrap_up_until,
                    'connected', EXISTS (SELECT 1 FROM agent_connections ac WHERE ac.agent_id = a.id),
                    'load', coalesce((SELECT json_object_agg(s.channel, s.used) FROM agent_slots s WHERE s.agent_id = a.id), '{}'::json)))
    INTO v_agents
    FROM agents a JOIN agent_presence p ON p.agent_id = a.id
   WHERE a.deleted_at IS NULL
     AND a.id = ANY (coalesce(v_ready_ids, '{}'::uuid[]) || coalesce(v_related, '{}'::uuid[])
                     || coalesce(v_team_ids, '{}'::uuid[]));

  RETURN json_build_object('now', v_now, 'version', coalesce(v_version, 0), 'agents', coalesce(v_agents, '[]'::json),
                           'contacts', v_contacts,
                           'agentsComplete', v_ready_limit IS NULL OR coalesce(array_length(v_ready_ids, 1), 0) < v_ready_limit,
                           'contactLimitReached', v_count >= p_contact_limit);
END
$fn$;
