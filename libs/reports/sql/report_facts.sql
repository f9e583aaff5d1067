-- tether_report_facts(p_from, p_to, p_repeat_days): the reports' source (ReportService), the same rows as
-- tether_contact_facts(p_from, p_to, p_repeat_days) (one per contact that arrived in [p_from, p_to); its header
-- says what each column means), read from two parts split at the rollup's watermark (report_rollup_state,
-- tether_fold_contact_outcomes):
--   before it   the folded rows (contact_outcomes): narrow, no fold at read time; `repeated` from next_at (the
--               customer's next arrival, set by the fold), or, where the fold knew of none, from the first arrival
--               of the customer after the watermark (read live from the history)
--   after it    tether_contact_facts over the rest of the range, live: the recent tail is never stale
-- No watermark yet (the job never ran): all live. LANGUAGE sql with no SET, one SELECT: the planner inlines it into
-- the report's query, so the report aggregates the folded rows as it scans them (no intermediate set).
-- Outcome: rows; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_report_facts(p_from timestamptz, p_to timestamptz, p_repeat_days int)
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
         AND r.at >= (SELECT coalesce(s.folded_until, '-infinity') FROM report_rollup_state s WHERE s.id = 1)
         AND r.at < p_to + make_interval(days => p_repeat_days)
       GROUP BY r.customer_id
    ) t ON t.customer_id = o.customer_id AND o.next_at IS NULL
   WHERE o.arrived_at >= p_from
     AND o.arrived_at < least(p_to, (SELECT coalesce(s.folded_until, '-infinity') FROM report_rollup_state s
                                     WHERE s.id = 1))
  UNION ALL
  SELECT f.contact_id, f.arrived_at, f.line, f.channel, f.customer_id, f.case_id, f.incident_id, f.agent_id,
         f.connected_at, f.reason, f.abandoned_at, f.abandoned_in_offer, f.ended_at, f.completed_at, f.transfers,
         f.repeat_eligible, f.repeated
    FROM tether_contact_facts(
           greatest(p_from, (SELECT coalesce(s.folded_until, '-infinity') FROM report_rollup_state s WHERE s.id = 1)),
           p_to, p_repeat_days) f
$fn$;
