-- tether_report_facts(p_from, p_to, p_repeat_days): the facts the reports aggregate, the same rows as
-- tether_contact_facts(p_from, p_to, p_repeat_days) (one per contact that arrived in [p_from, p_to); its header
-- says what each column means), read from two parts split at the rollup's watermark (report_rollup_state,
-- tether_fold_contact_outcomes):
--   before it   the folded rows (contact_outcomes): narrow, no fold at read time; `repeated` from next_at (the
--               customer's next arrival, set by the fold), or, where the fold knew of none, from the first arrival
--               of the customer after the watermark (read live from the history)
--   after it    tether_contact_facts over the rest of the range, live: the recent tail is never stale
-- No watermark yet (the job never ran): all live. The rows are tether_report_facts_until's with the watermark read
-- here; ReportService reads the watermark first and calls that one (a constant lets the planner count the folded
-- rows). This one is for reading the facts by hand. LANGUAGE plpgsql: its body is checked when it runs, so the order
-- the two files are applied in does not matter. Outcome: rows; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_report_facts(p_from timestamptz, p_to timestamptz, p_repeat_days int)
RETURNS TABLE (contact_id uuid, arrived_at timestamptz, line text, channel text, customer_id uuid, case_id uuid,
               incident_id uuid, agent_id uuid, connected_at timestamptz, reason text, abandoned_at timestamptz,
               abandoned_in_offer boolean, ended_at timestamptz, completed_at timestamptz, transfers int,
               repeat_eligible boolean, repeated boolean)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN QUERY
  SELECT * FROM tether_report_facts_until(
    p_from, p_to, p_repeat_days,
    (SELECT coalesce(s.folded_until, '-infinity') FROM report_rollup_state s WHERE s.id = 1));
END
$fn$;
