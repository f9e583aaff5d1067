-- tether_report_facts(p_from, p_to, p_repeat_days): the reports' source (ReportService), the same rows as
-- tether_contact_facts(p_from, p_to, p_repeat_days) (one per contact that arrived in [p_from, p_to); its header
-- says what each column means), read from two parts split at the rollup's watermark (report_rollup_state,
-- tether_fold_contact_outcomes):
--   before it   the folded rows (contact_outcomes): narrow, no fold at read time; `repeated` from next_at (the
--               customer's next arrival, set by the fold), or, where the fold knew of none, from the first arrival
--               of the customer after the watermark (read live from the history)
--   after it    tether_contact_facts over the rest of the range, live: the recent tail is never stale
-- No watermark yet (the job never ran): all live. Outcome: rows; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_report_facts(p_from timestamptz, p_to timestamptz, p_repeat_days int)
RETURNS TABLE (contact_id uuid, arrived_at timestamptz, line text, channel text, customer_id uuid, case_id uuid,
               incident_id uuid, agent_id uuid, connected_at timestamptz, reason text, abandoned_at timestamptz,
               abandoned_in_offer boolean, ended_at timestamptz, completed_at timestamptz, transfers int,
               repeat_eligible boolean, repeated boolean)
LANGUAGE plpgsql STABLE SET work_mem = '64MB' AS $fn$
DECLARE
  v_until timestamptz;
  v_window interval := make_interval(days => p_repeat_days);
BEGIN
  SELECT coalesce(s.folded_until, '-infinity') INTO v_until FROM report_rollup_state s WHERE s.id = 1;
  v_until := coalesce(v_until, '-infinity');
  IF p_from < v_until THEN
    RETURN QUERY
      WITH tail AS (
        -- each customer's first arrival after the watermark that can be a repeat (contact_events_arrivals)
        SELECT r.customer_id, min(r.at) AS first_at FROM contact_events r
         WHERE r.kind = 'queued' AND r.incident_id IS NULL AND r.at >= v_until AND r.at < p_to + v_window
         GROUP BY r.customer_id
      )
      SELECT o.contact_id, o.arrived_at, o.line, o.channel, o.customer_id, o.case_id, o.incident_id, o.agent_id,
             o.connected_at, o.reason, o.abandoned_at, o.abandoned_in_offer, o.ended_at, o.completed_at,
             o.transfers, o.repeat_eligible,
             o.repeat_eligible AND coalesce(coalesce(o.next_at, t.first_at) <= o.arrived_at + v_window, false)
        FROM contact_outcomes o LEFT JOIN tail t ON t.customer_id = o.customer_id AND o.next_at IS NULL
       WHERE o.arrived_at >= p_from AND o.arrived_at < least(p_to, v_until);
  END IF;
  IF p_to > v_until THEN
    RETURN QUERY SELECT * FROM tether_contact_facts(greatest(p_from, v_until), p_to, p_repeat_days);
  END IF;
END
$fn$;
