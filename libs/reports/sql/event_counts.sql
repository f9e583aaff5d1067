-- tether_event_counts(p_from, p_to): the events the reports count one by one (offered, rejected, expired,
-- transferred: per agent; notified: per incident) of [p_from, p_to), as (at, kind, agent_id, line, incident_id, n):
-- the whole quarters before the rollup's watermark from event_counts (at: the quarter's start, n: how many; folded by
-- tether_fold_contact_outcomes), the rest (the range's unaligned ends, and after the watermark) live from
-- contact_events, one row each (n = 1). A report buckets `at` (15 minutes, a day, a week: quarters nest in them) and
-- sums `n`: the same figures as counting the events. Outcome: rows; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_event_counts(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (at timestamptz, kind text, agent_id uuid, line text, incident_id uuid, n int)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  v_until timestamptz;
  -- the folded part: whole quarters from the first at or after p_from, up to the last before p_to or the watermark
  v_a timestamptz := date_bin('15 minutes', p_from - interval '1 microsecond', timestamptz '2000-01-03 00:00:00+00')
                     + interval '15 minutes';
  v_b timestamptz;
BEGIN
  SELECT s.folded_until INTO v_until FROM report_rollup_state s WHERE s.id = 1;
  v_b := least(date_bin('15 minutes', p_to, timestamptz '2000-01-03 00:00:00+00'), coalesce(v_until, '-infinity'));
  IF v_a < v_b THEN
    RETURN QUERY SELECT c.bucket, c.kind, c.agent_id, c.line, c.incident_id, c.n FROM event_counts c
                  WHERE c.bucket >= v_a AND c.bucket < v_b;
    RETURN QUERY SELECT e.at, e.kind, e.agent_id, e.line, e.incident_id, 1 FROM contact_events e
                  WHERE ((e.at >= p_from AND e.at < v_a) OR (e.at >= v_b AND e.at < p_to))
                    AND e.kind IN ('offered', 'rejected', 'expired', 'transferred', 'notified');
  ELSE
    RETURN QUERY SELECT e.at, e.kind, e.agent_id, e.line, e.incident_id, 1 FROM contact_events e
                  WHERE e.at >= p_from AND e.at < p_to
                    AND e.kind IN ('offered', 'rejected', 'expired', 'transferred', 'notified');
  END IF;
END
$fn$;
