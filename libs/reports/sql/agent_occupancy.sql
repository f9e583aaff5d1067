-- tether_agent_occupancy(p_from, p_to, p_bucket, p_line): each agent's handling and staffed time per bucket
-- ('15m', 'day', 'week', UTC, as ReportService buckets) of [p_from, p_to), for the agents report's occupancy
-- (handling / staffed):
--   handling_s  the time the agent was handling contacts (of p_line, or of any line when it is NULL): from each
--               'connected' of theirs (contact_events) to the contact's next 'transferred', 'requeued', 'completed'
--               or 'connected', i.e. talk and after-call work up to the completion, as AHT counts it; a contact
--               still open is handled until now. Overlapping contacts (chats) count once (a union of intervals).
--               The contacts that arrived before the rollup's watermark are read from contact_handling (folded by
--               tether_fold_contact_outcomes the same way), the others live from contact_events.
--   staffed_s   the time the agent was signed in and available (agent_presence_events: state 'available') or
--               handling a contact of any line (busy, whatever their presence said): the union of both
-- Both are clipped to the bucket and the range. A stretch that began more than a day before p_from is not read.
-- Only agents with staffed time in a bucket get a row there. Outcome: rows; no codes. Locks: none (reads).
-- Day and week buckets read the whole days before the rollup's days_until from agent_day_occupancy (this same
-- computation, folded a day at a time by tether_fold_contact_outcomes) and compute only the range's unaligned ends
-- and the days after it (tether_agent_occupancy_live): a union of intervals adds up over disjoint days, so the sums
-- are the live ones (numeric seconds, exact). One difference, documented: a folded day reads the stretches that
-- began at most a day before it, as a range does; a stretch longer than a day (a contact handled for over a day)
-- counts in a later day only when it began at most a day before that day.
CREATE OR REPLACE FUNCTION tether_agent_occupancy(p_from timestamptz, p_to timestamptz, p_bucket text, p_line text)
RETURNS TABLE (bucket timestamptz, agent_id uuid, handling_s float8, staffed_s float8)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  -- the folded days: from the first midnight at or after p_from (and days_from) to the last before p_to (and
  -- days_until)
  v_a timestamptz;
  v_b timestamptz;
BEGIN
  SELECT f.day_from, f.day_until INTO v_a, v_b FROM tether_folded_days(p_from, p_to) f;
  IF p_bucket = '15m' OR v_a IS NULL OR v_b IS NULL OR v_a >= v_b THEN
    RETURN QUERY SELECT o.bucket, o.agent_id, o.handling_s::float8, o.staffed_s::float8
                   FROM tether_agent_occupancy_live(p_from, p_to, p_bucket, p_line) o;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT u.bucket, u.agent_id, sum(u.handling_s)::float8, sum(u.staffed_s)::float8
      FROM (SELECT h.bucket, h.agent_id, h.handling_s, h.staffed_s
              FROM tether_agent_occupancy_live(p_from, v_a, p_bucket, p_line) h
             WHERE p_from < v_a
            UNION ALL
            SELECT CASE p_bucket WHEN 'day' THEN d.day
                                 ELSE date_trunc('week', d.day AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' END,
                   d.agent_id, CASE WHEN p_line IS NULL THEN d.handling_s ELSE coalesce(l.handling_s, 0) END,
                   d.staffed_s
              FROM agent_day_occupancy d
              LEFT JOIN agent_day_occupancy l
                ON p_line IS NOT NULL AND l.day = d.day AND l.agent_id = d.agent_id AND l.line = p_line
             WHERE d.day >= v_a AND d.day < v_b AND d.line IS NULL
            UNION ALL
            SELECT t.bucket, t.agent_id, t.handling_s, t.staffed_s
              FROM tether_agent_occupancy_live(v_b, p_to, p_bucket, p_line) t
             WHERE v_b < p_to) u
     GROUP BY 1, 2;
END
$fn$;
