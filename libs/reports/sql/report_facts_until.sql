-- tether_report_facts_until(p_from, p_to, p_repeat_days, p_until): tether_report_facts (its header says what the
-- rows are and how the two parts are read) with the rollup's watermark given: p_until, as the caller read it
-- (ReportService reads it first). As a constant, the planner knows how many folded rows the range holds, hashes the
-- few customers, not the many contacts, and aggregates in memory; read in a subquery (tether_report_facts) it
-- guessed a thousandth of them. Any value at or before the current watermark gives the same rows (the events after
-- it are folded live: they are all still there); '-infinity' is all live. LANGUAGE sql with no SET, one SELECT:
-- inlined into the report's query. Outcome: rows; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_report_facts_until(p_from timestamptz, p_to timestamptz, p_repeat_days int,
                                                     p_until timestamptz)
RETURNS TABLE (contact_id uuid, arrived_at timestamptz, line text, channel text, customer_id uuid, case_id uuid,
               incident_id uuid, agent_id uuid, connected_at timestamptz, reason text, abandoned_at timestamptz,
               abandoned_in_offer boolean, ended_at timestamptz, completed_at timestamptz, transfers int,
               repeat_eligible boolean, repeated boolean)
LANGUAGE sql STABLE AS $fn$
  SELECT o.contact_id, o.arrived_at, o.line, o.channel, o.customer_id, o.case_id, o.incident_id, o.agent_id,
         o.connected_at, o.reason, o.abandoned_at, o.abandoned_in_offer, o.ended_at, o.completed_at, o.transfers,
         o.repeat_eligible,
         o.repeat_eligible
           AND coalesce(coalesce(o.next_at, t.first_at) <= o.arrived_at + make_interval(days => p_repeat_days), false)
    FROM contact_outcomes o
    LEFT JOIN (
      -- each customer's first arrival after the watermark that can be a repeat (contact_events_arrivals)
      SELECT r.customer_id, min(r.at) AS first_at FROM contact_events r
       WHERE r.kind = 'queued' AND r.incident_id IS NULL
         AND r.at >= p_until
         AND r.at < p_to + make_interval(days => p_repeat_days)
       GROUP BY r.customer_id
    ) t ON t.customer_id = o.customer_id AND o.next_at IS NULL
   WHERE o.arrived_at >= p_from
     AND o.arrived_at < least(p_to, p_until)
  UNION ALL
  SELECT f.contact_id, f.arrived_at, f.line, f.channel, f.customer_id, f.case_id, f.incident_id, f.agent_id,
         f.connected_at, f.reason, f.abandoned_at, f.abandoned_in_offer, f.ended_at, f.completed_at, f.transfers,
         f.repeat_eligible, f.repeated
    FROM tether_contact_facts(greatest(p_from, p_until), p_to, p_repeat_days) f
$fn$;
