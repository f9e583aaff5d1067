-- tether_folded_days(p_from, p_to): the whole UTC days of [p_from, p_to) whose per-day rows the rollup has folded
-- (report_rollup_state's days_from .. days_until): from the first midnight at or after p_from to the last midnight
-- at or before p_to, clipped to what is folded. day_from NULL when no day is folded yet; an empty span
-- (day_from >= day_until) when the range holds no folded whole day. The day and week reports read those days from
-- the day rows and compute only the ends live (tether_agent_occupancy, tether_event_counts_by_bucket).
-- Outcome: one row; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_folded_days(p_from timestamptz, p_to timestamptz,
                                              OUT day_from timestamptz, OUT day_until timestamptz)
LANGUAGE sql STABLE AS $fn$
  -- (greatest and least skip NULLs: no days folded yet is told by days_from and days_until themselves)
  SELECT CASE WHEN s.days_from IS NOT NULL AND s.days_until IS NOT NULL THEN
           greatest(date_trunc('day', (p_from - interval '1 microsecond') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                      + interval '1 day', s.days_from) END,
         least(date_trunc('day', p_to AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', s.days_until)
    FROM report_rollup_state s WHERE s.id = 1
$fn$;
