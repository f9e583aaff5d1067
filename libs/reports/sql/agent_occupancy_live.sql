-- tether_agent_occupancy_live(p_from, p_to, p_bucket, p_line): tether_agent_occupancy's figures (its header says
-- what they are) computed from the handling stretches (contact_handling before the rollup's watermark, contact_events
-- after it) and the presence events, for any range, in numeric seconds (exact): tether_agent_occupancy reads folded
-- days where it can and this for the rest; tether_fold_contact_outcomes folds a day with it (agent_day_occupancy).
-- A stretch that began more than a day before p_from is not read. Only agents with staffed time in a bucket get a
-- row there. Outcome: rows; no codes. Locks: none (reads).
CREATE OR REPLACE FUNCTION tether_agent_occupancy_live(p_from timestamptz, p_to timestamptz, p_bucket text, p_line text)
RETURNS TABLE (bucket timestamptz, agent_id uuid, handling_s numeric, staffed_s numeric)
LANGUAGE sql STABLE AS $fn$
  WITH k AS (
    SELECT CASE p_bucket WHEN '15m' THEN interval '15 minutes' WHEN 'day' THEN interval '1 day'
                         ELSE interval '7 days' END AS step
  ), w AS (
    SELECT coalesce((SELECT s.folded_until FROM report_rollup_state s WHERE s.id = 1), '-infinity') AS until
  ), steps AS (
    -- live: the contacts that arrived after the rollup's watermark (and at most a day before the range)
    SELECT e.kind, e.agent_id, e.line, e.at,
           lead(e.at) OVER (PARTITION BY e.contact_id ORDER BY e.at, e.id) AS next_at
      FROM contact_events e, w
     WHERE e.at >= greatest(w.until, p_from - interval '1 day') AND e.at < p_to AND e.contact_id IS NOT NULL
       AND e.kind IN ('connected', 'transferred', 'requeued', 'completed')
       AND e.contact_id IN (SELECT q.contact_id FROM contact_events q
                             WHERE q.kind = 'queued' AND q.at >= greatest(w.until, p_from - interval '1 day')
                               AND q.at < p_to)
  ), handling AS (
    SELECT s.agent_id, s.line, tstzrange(s.at, coalesce(s.next_at, least(now(), p_to))) AS span
      FROM steps s
     WHERE s.kind = 'connected' AND s.agent_id IS NOT NULL AND coalesce(s.next_at, least(now(), p_to)) > s.at
    UNION ALL
    -- folded: the contacts that arrived before it (contact_handling, tether_fold_contact_outcomes)
    SELECT c.agent_id, c.line, tstzrange(c.started_at, c.ended_at)
      FROM contact_handling c
     WHERE c.started_at >= p_from - interval '1 day' AND c.started_at < p_to AND c.ended_at > p_from
       AND c.ended_at > c.started_at
  ), presence AS (
    SELECT p.agent_id, p.state, p.at,
           lead(p.at) OVER (PARTITION BY p.agent_id ORDER BY p.at, p.id) AS next_at
      FROM (SELECT x.* FROM agent_presence_events x WHERE x.at >= p_from AND x.at < p_to
            UNION ALL
            -- each agent's state when the range begins
            SELECT y.* FROM agents a,
                   LATERAL (SELECT z.* FROM agent_presence_events z WHERE z.agent_id = a.id AND z.at < p_from
                             ORDER BY z.at DESC, z.id DESC LIMIT 1) y) p
  ), available AS (
    SELECT p.agent_id, tstzrange(p.at, coalesce(p.next_at, least(now(), p_to))) AS span
      FROM presence p WHERE p.state = 'available' AND coalesce(p.next_at, least(now(), p_to)) > p.at
  ), pieces AS (
    -- each stretch cut at the buckets it crosses (one or two for most) and at the range's ends
    SELECT u.agent_id, u.line, u.busy, b.bucket,
           u.span * tstzrange(greatest(b.bucket, p_from), least(b.bucket + k.step, p_to)) AS span
      FROM (SELECT h.agent_id, h.line, true AS busy, h.span FROM handling h
            UNION ALL SELECT v.agent_id, NULL, false, v.span FROM available v) u
      CROSS JOIN k
      CROSS JOIN LATERAL generate_series(
        CASE p_bucket
          WHEN '15m' THEN date_bin('15 minutes', greatest(lower(u.span), p_from), timestamptz '2000-01-03 00:00:00+00')
          WHEN 'day' THEN date_trunc('day', greatest(lower(u.span), p_from) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          ELSE date_trunc('week', greatest(lower(u.span), p_from) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' END,
        least(upper(u.span), p_to) - interval '1 microsecond', k.step) b(bucket)
     WHERE u.span && tstzrange(p_from, p_to)
  ), staffed AS (
    SELECT p.bucket, p.agent_id, range_agg(p.span) AS spans FROM pieces p GROUP BY 1, 2
  ), handled AS (
    SELECT p.bucket, p.agent_id, range_agg(p.span) AS spans
      FROM pieces p WHERE p.busy AND (p_line IS NULL OR p.line = p_line) GROUP BY 1, 2
  )
  SELECT s.bucket, s.agent_id,
         coalesce((SELECT sum(extract(epoch FROM upper(r) - lower(r))) FROM unnest(h.spans) r), 0),
         (SELECT sum(extract(epoch FROM upper(r) - lower(r))) FROM unnest(s.spans) r)
    FROM staffed s LEFT JOIN handled h ON h.bucket = s.bucket AND h.agent_id = s.agent_id
$fn$;
