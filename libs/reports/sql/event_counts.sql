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

-- tether_event_counts(p_from, p_to, p_bucket): the same rows for a report bucketed by p_bucket ('15m', 'day',
-- 'week'): for day and week buckets the whole days between report_rollup_state's days_from and days_until are read
-- from event_day_counts (at: the day's start, n: the day's count; folded by tether_fold_contact_outcomes from that
-- day's quarters), the rest as above. Outcome: rows; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_event_counts(p_from timestamptz, p_to timestamptz, p_bucket text)
RETURNS TABLE (at timestamptz, kind text, agent_id uuid, line text, incident_id uuid, n int)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  v_a timestamptz;
  v_b timestamptz;
BEGIN
  -- (greatest and least skip NULLs: no days folded yet is checked on its own)
  SELECT CASE WHEN s.days_from IS NOT NULL AND s.days_until IS NOT NULL THEN
           greatest(date_trunc('day', (p_from - interval '1 microsecond') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                      + interval '1 day', s.days_from) END,
         least(date_trunc('day', p_to AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', s.days_until)
    INTO v_a, v_b FROM report_rollup_state s WHERE s.id = 1;
  IF p_bucket = '15m' OR v_a IS NULL OR v_b IS NULL OR v_a >= v_b THEN
    RETURN QUERY SELECT * FROM tether_event_counts(p_from, p_to);
    RETURN;
  END IF;
  -- the folded days are whole quarters behind the watermark: the ends around them as above
  RETURN QUERY SELECT * FROM tether_event_counts(p_from, v_a);
  RETURN QUERY SELECT d.day, d.kind, d.agent_id, d.line, d.incident_id, d.n FROM event_day_counts d
                WHERE d.day >= v_a AND d.day < v_b;
  RETURN QUERY SELECT * FROM tether_event_counts(v_b, p_to);
END
$fn$;
