-- tether_contact_facts(p_from, p_to, p_repeat_days): one row per contact that arrived (its 'queued' event) in
-- [p_from, p_to), folded from its contact_events (contact_events_*.sql): the reports' single source
-- (ReportService groups these rows by bucket and line, agent or incident).
--   connected_at, agent_id, reason  its first 'connected' (the answer), by whom, why (the accepted offer's reason)
--   abandoned_at, abandoned_in_offer  its 'abandoned' (only ever unanswered) and whether an offer was pending then
--   ended_at, completed_at          the call over, the agent's completion (after-call work done)
--   transfers                       how many times it was transferred
--   repeat_eligible                 counts toward repeat contacts: not linked to an incident, not a scheduled
--                                   callback (a 'callback' event)
--   repeated                        eligible, and the same customer arrived again (any line, any channel, not
--                                   linked to an incident) within p_repeat_days after it
-- A contact's steps are read up to a day after p_to: a contact still unfinished a day after the range ends counts as
-- unfinished. One pass over the events of the range (hash-aggregated per contact: no per-contact look-ups), and the
-- repeats from the arrivals of the range plus the window, in customer order (no probe per contact).
-- Outcome: rows; no codes. Locks: none (reads). LANGUAGE sql, so the body is checked against the catalog when the
-- file is applied; work_mem is raised for it so its hash tables stay in memory.

CREATE OR REPLACE FUNCTION tether_contact_facts(p_from timestamptz, p_to timestamptz, p_repeat_days int)
RETURNS TABLE (contact_id uuid, arrived_at timestamptz, line text, channel text, customer_id uuid, case_id uuid,
               incident_id uuid, agent_id uuid, connected_at timestamptz, reason text, abandoned_at timestamptz,
               abandoned_in_offer boolean, ended_at timestamptz, completed_at timestamptz, transfers int,
               repeat_eligible boolean, repeated boolean)
LANGUAGE sql STABLE SET work_mem = '64MB' AS $fn$
  WITH steps AS (
    SELECT e.contact_id,
           min(e.at) FILTER (WHERE e.kind = 'queued') AS arrived_at,
           (array_agg(e.line) FILTER (WHERE e.kind = 'queued'))[1] AS line,
           (array_agg(e.channel) FILTER (WHERE e.kind = 'queued'))[1] AS channel,
           (array_agg(e.customer_id) FILTER (WHERE e.kind = 'queued'))[1] AS customer_id,
           (array_agg(e.case_id) FILTER (WHERE e.kind = 'queued'))[1] AS case_id,
           (array_agg(e.incident_id) FILTER (WHERE e.kind = 'queued'))[1] AS incident_id,
           min(e.at) FILTER (WHERE e.kind = 'connected') AS connected_at,
           -- the first answer is marked by the trigger: no ordered aggregate (which would sort every event)
           (array_agg(e.agent_id) FILTER (WHERE e.kind = 'connected' AND e.detail ? 'first'))[1] AS agent_id,
           (array_agg(e.detail ->> 'reason') FILTER (WHERE e.kind = 'connected' AND e.detail ? 'first'))[1] AS reason,
           min(e.at) FILTER (WHERE e.kind = 'abandoned') AS abandoned_at,
           coalesce(bool_or(e.detail ->> 'from' = 'offered') FILTER (WHERE e.kind = 'abandoned'), false)
             AS abandoned_in_offer,
           min(e.at) FILTER (WHERE e.kind = 'ended') AS ended_at,
           min(e.at) FILTER (WHERE e.kind = 'completed') AS completed_at,
           (count(*) FILTER (WHERE e.kind = 'transferred'))::int AS transfers,
           coalesce(bool_or(e.kind = 'callback'), false) AS callback
      FROM contact_events e
     WHERE e.at >= p_from AND e.at < p_to + interval '1 day' AND e.contact_id IS NOT NULL
       AND e.kind NOT IN ('offered', 'rejected', 'expired', 'revoked')
     GROUP BY e.contact_id
    HAVING min(e.at) FILTER (WHERE e.kind = 'queued') < p_to
  ), later AS (
    -- every arrival that can be a repeat of one in the range, with the same customer's next such arrival
    -- (contact_events_arrivals: an index-only scan in customer and time order, no sort)
    SELECT r.contact_id,
           lead(r.at) OVER (PARTITION BY r.customer_id ORDER BY r.at) AS next_at
      FROM contact_events r
     WHERE r.kind = 'queued' AND r.at >= p_from AND r.at < p_to + make_interval(days => p_repeat_days)
       AND r.incident_id IS NULL
  )
  SELECT s.contact_id, s.arrived_at, s.line, s.channel, s.customer_id, s.case_id, s.incident_id, s.agent_id,
         s.connected_at, s.reason, CASE WHEN s.connected_at IS NULL THEN s.abandoned_at END,
         s.abandoned_in_offer AND s.connected_at IS NULL AND s.abandoned_at IS NOT NULL, s.ended_at, s.completed_at,
         s.transfers, s.incident_id IS NULL AND NOT s.callback,
         s.incident_id IS NULL AND NOT s.callback
           AND coalesce(l.next_at <= s.arrived_at + make_interval(days => p_repeat_days), false)
    FROM steps s LEFT JOIN later l ON l.contact_id = s.contact_id
$fn$;
