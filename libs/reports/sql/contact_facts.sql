-- tether_contact_facts(p_from, p_to, p_repeat_days): one row per contact that arrived (its 'queued' event) in
-- [p_from, p_to), folded from its contact_events (contact_events.sql): the reports' single source
-- (ReportService groups these rows by bucket and line, agent or incident).
--   connected_at, agent_id, reason  its first 'connected' (the answer), by whom, why (the accepted offer's reason)
--   abandoned_at, abandoned_in_offer  its 'abandoned' (only ever unanswered) and whether an offer was pending then
--   ended_at, completed_at          the call over, the agent's completion (after-call work done)
--   transfers                       how many times it was transferred
--   repeat_eligible                 counts toward repeat contacts: not linked to an incident, not a scheduled
--                                   callback (a 'callback' event)
--   repeated                        eligible, and the same customer arrived again (any line, any channel, not
--                                   linked to an incident) within p_repeat_days after it
-- Events are read from p_from on (nothing of a contact happens before its arrival). Outcome: rows; no codes.
-- Locks: none (reads). LANGUAGE sql, so the body is checked against the catalog when the file is applied.

CREATE OR REPLACE FUNCTION tether_contact_facts(p_from timestamptz, p_to timestamptz, p_repeat_days int)
RETURNS TABLE (contact_id uuid, arrived_at timestamptz, line text, channel text, customer_id uuid, case_id uuid,
               incident_id uuid, agent_id uuid, connected_at timestamptz, reason text, abandoned_at timestamptz,
               abandoned_in_offer boolean, ended_at timestamptz, completed_at timestamptz, transfers int,
               repeat_eligible boolean, repeated boolean)
LANGUAGE sql STABLE AS $fn$
  WITH arrivals AS (
    SELECT e.contact_id, e.at, e.line, e.channel, e.customer_id, e.case_id, e.incident_id
      FROM contact_events e
     WHERE e.kind = 'queued' AND e.at >= p_from AND e.at < p_to
  ), steps AS (
    SELECT e.contact_id,
           min(e.at) FILTER (WHERE e.kind = 'connected') AS connected_at,
           (array_agg(e.agent_id ORDER BY e.id) FILTER (WHERE e.kind = 'connected'))[1] AS agent_id,
           (array_agg(e.detail ->> 'reason' ORDER BY e.id) FILTER (WHERE e.kind = 'connected'))[1] AS reason,
           min(e.at) FILTER (WHERE e.kind = 'abandoned') AS abandoned_at,
           coalesce(bool_or(e.detail ->> 'from' = 'offered') FILTER (WHERE e.kind = 'abandoned'), false)
             AS abandoned_in_offer,
           min(e.at) FILTER (WHERE e.kind = 'ended') AS ended_at,
           min(e.at) FILTER (WHERE e.kind = 'completed') AS completed_at,
           (count(*) FILTER (WHERE e.kind = 'transferred'))::int AS transfers,
           coalesce(bool_or(e.kind = 'callback'), false) AS callback
      FROM contact_events e
     WHERE e.at >= p_from AND e.contact_id IN (SELECT a.contact_id FROM arrivals a)
     GROUP BY e.contact_id
  )
  SELECT a.contact_id, a.at, a.line, a.channel, a.customer_id, a.case_id, a.incident_id, s.agent_id, s.connected_at,
         s.reason, CASE WHEN s.connected_at IS NULL THEN s.abandoned_at END,
         s.abandoned_in_offer AND s.connected_at IS NULL AND s.abandoned_at IS NOT NULL, s.ended_at, s.completed_at,
         s.transfers, a.incident_id IS NULL AND NOT s.callback,
         a.incident_id IS NULL AND NOT s.callback AND EXISTS (
           SELECT 1 FROM contact_events r
            WHERE r.customer_id = a.customer_id AND r.kind = 'queued' AND r.at > a.at
              AND r.at <= a.at + make_interval(days => p_repeat_days) AND r.incident_id IS NULL
              AND r.contact_id <> a.contact_id)
    FROM arrivals a JOIN steps s ON s.contact_id = a.contact_id
$fn$;
