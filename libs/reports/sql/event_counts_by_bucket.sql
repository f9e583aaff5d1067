-- tether_event_counts_by_bucket(p_from, p_to, p_bucket): tether_event_counts' rows for a report bucketed by
-- p_bucket ('15m', 'day', 'week'): for day and week buckets the whole days between report_rollup_state's days_from and days_until are read
-- from event_day_counts (at: the day's start, n: the day's count; folded by tether_fold_contact_outcomes from that
-- day's quarters), the rest by tether_event_counts. Outcome: rows; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_event_counts_by_bucket(p_from timestamptz, p_to timestamptz, p_bucket text)
RETURNS TABLE (at timestamptz, kind text, agent_id uuid, line text, incident_id uuid, n int)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  v_a timestamptz;
  v_b timestamptz;
BEGIN
  SELECT f.day_from, f.day_until INTO v_a, v_b FROM tether_folded_days(p_from, p_to) f;
  IF p_bucket = '15m' OR v_a IS NULL OR v_b IS NULL OR v_a >= v_b THEN
    RETURN QUERY SELECT * FROM tether_event_counts(p_from, p_to);
    RETURN;
  END IF;
  -- the folded days are whole quarters behind the watermark: the ends around them by tether_event_counts
  RETURN QUERY SELECT * FROM tether_event_counts(p_from, v_a);
  RETURN QUERY SELECT d.day, d.kind, d.agent_id, d.line, d.incident_id, d.n FROM event_day_counts d
                WHERE d.day >= v_a AND d.day < v_b;
  RETURN QUERY SELECT * FROM tether_event_counts(v_b, p_to);
END
$fn$;
