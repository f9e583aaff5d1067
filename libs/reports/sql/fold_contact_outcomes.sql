-- tether_fold_contact_outcomes(p_until, p_step): one step of the reports' rollup (the durable `reports.rollup` job,
-- ReportRollupService): folds the contacts that arrived in [watermark, least(watermark + p_step, p_until)) into
-- contact_outcomes (one row per contact: tether_contact_facts' columns, folded by that same function, so a folded
-- figure is the live one) and their agents' handling stretches into contact_handling (as tether_agent_occupancy
-- reads them live), sets each one's next_at (the same customer's next arrival that can make it a repeat: not
-- linked to an incident, any line or channel, as tether_contact_facts reads them) and the next_at of earlier folded
-- contacts whose customer arrives in this step, and moves the watermark (report_rollup_state.folded_until) to the
-- step's end. The first step starts at the 15-minute boundary before the first event in the history (none: the
-- watermark goes straight to p_until). The events of the step's time (not its contacts') that the reports count one
-- by one (offered, rejected, expired, transferred, notified) are counted per quarter into event_counts. The caller passes p_until a day and more behind now: a contact's steps are
-- read up to a day after its step's end (as tether_contact_facts reads them up to a day after its range), so every
-- step a folded contact can have had is in the history when it is folded. tether_report_facts reads the folded rows
-- before the watermark and folds the events after it live. Each whole UTC day the step moves the watermark past is
-- then folded once more, a row per day (agent_day_occupancy, event_day_counts; report_rollup_state.days_from and
-- days_until), for day and week buckets; a first fold (no watermark) clears them and starts again.
-- Outcome (folded, folded_until, more): how many contacts, the new watermark, whether p_until is still ahead.
-- Locks: report_rollup_state's row FOR UPDATE (folds are serialised, and a step is written with the watermark that
-- covers it in one transaction: a step done twice is done once; contact_outcomes' key refuses a second row anyway).
CREATE OR REPLACE FUNCTION tether_fold_contact_outcomes(p_until timestamptz, p_step interval)
RETURNS TABLE (folded int, folded_until timestamptz, more boolean)
LANGUAGE plpgsql SET work_mem = '64MB' AS $fn$
DECLARE
  v_from timestamptz;
  v_to timestamptz;
  v_n int;
  v_day timestamptz;
  v_days_from timestamptz;
BEGIN
  SELECT s.folded_until, s.days_until, s.days_from INTO v_from, v_day, v_days_from
    FROM report_rollup_state s WHERE s.id = 1 FOR UPDATE;
  IF v_from IS NULL THEN
    -- a first fold (or one from scratch): the day rows start again with it
    DELETE FROM agent_day_occupancy;
    DELETE FROM event_day_counts;
    UPDATE report_rollup_state s SET days_from = NULL, days_until = NULL WHERE s.id = 1;
    v_day := NULL;
    v_days_from := NULL;
    SELECT date_bin('15 minutes', min(e.at), timestamptz '2000-01-03 00:00:00+00') INTO v_from FROM contact_events e;
    v_from := least(coalesce(v_from, p_until), p_until);
  END IF;
  IF v_from >= p_until THEN
    UPDATE report_rollup_state s SET folded_until = v_from, folded_at = now() WHERE s.id = 1;
    RETURN QUERY SELECT 0, v_from, false;
    RETURN;
  END IF;
  v_to := least(v_from + p_step, p_until);

  INSERT INTO contact_outcomes (contact_id, arrived_at, line, channel, customer_id, case_id, incident_id, agent_id,
                                connected_at, reason, abandoned_at, abandoned_in_offer, ended_at, completed_at,
                                transfers, repeat_eligible, next_at)
  SELECT f.contact_id, f.arrived_at, f.line, f.channel, f.customer_id, f.case_id, f.incident_id, f.agent_id,
         f.connected_at, f.reason, f.abandoned_at, f.abandoned_in_offer, f.ended_at, f.completed_at, f.transfers,
         f.repeat_eligible,
         CASE WHEN f.repeat_eligible THEN
           (SELECT r.at FROM contact_events r
             WHERE r.kind = 'queued' AND r.incident_id IS NULL AND r.customer_id = f.customer_id
               AND r.at > f.arrived_at
             ORDER BY r.at LIMIT 1) END
    FROM tether_contact_facts(v_from, v_to, 1) f
  ON CONFLICT (contact_id) DO NOTHING;
  GET DIAGNOSTICS v_n = ROW_COUNT;

  -- their handling: each agent's stretch from a 'connected' to the contact's next step that ends it (a stretch still
  -- open at the step's horizon ends there)
  INSERT INTO contact_handling (contact_id, agent_id, line, started_at, ended_at)
  SELECT h.contact_id, h.agent_id, h.line, h.at, coalesce(h.next_at, v_to + interval '1 day')
    FROM (SELECT e.contact_id, e.kind, e.agent_id, e.line, e.at,
                 lead(e.at) OVER (PARTITION BY e.contact_id ORDER BY e.at, e.id) AS next_at
            FROM contact_events e
           WHERE e.at >= v_from AND e.at < v_to + interval '1 day' AND e.contact_id IS NOT NULL
             AND e.kind IN ('connected', 'transferred', 'requeued', 'completed')) h
   WHERE h.kind = 'connected' AND h.agent_id IS NOT NULL
     AND h.contact_id IN (SELECT q.contact_id FROM contact_events q
                           WHERE q.kind = 'queued' AND q.at >= v_from AND q.at < v_to);

  -- the per-event figures of the step's time, counted per quarter (tether_event_counts reads them)
  INSERT INTO event_counts (bucket, kind, agent_id, line, incident_id, n)
  SELECT date_bin('15 minutes', e.at, timestamptz '2000-01-03 00:00:00+00'), e.kind, e.agent_id, e.line,
         e.incident_id, count(*)::int
    FROM contact_events e
   WHERE e.at >= v_from AND e.at < v_to AND e.kind IN ('offered', 'rejected', 'expired', 'transferred', 'notified')
   GROUP BY 1, 2, 3, 4, 5;

  -- earlier contacts of the customers who arrived in this step, still without a next arrival
  UPDATE contact_outcomes o
     SET next_at = (SELECT r.at FROM contact_events r
                     WHERE r.kind = 'queued' AND r.incident_id IS NULL AND r.customer_id = o.customer_id
                       AND r.at > o.arrived_at
                     ORDER BY r.at LIMIT 1)
   WHERE o.next_at IS NULL AND o.repeat_eligible AND o.arrived_at < v_from
     AND o.customer_id IN (SELECT a.customer_id FROM contact_events a
                            WHERE a.kind = 'queued' AND a.incident_id IS NULL AND a.at >= v_from AND a.at < v_to);

  UPDATE report_rollup_state s SET folded_until = v_to, folded_at = now() WHERE s.id = 1;

  -- the whole days now behind the watermark (after its update: tether_agent_occupancy_live reads the contacts before
  -- it from contact_handling), a row per day: each agent's occupancy (of any line, and of each line they handled),
  -- the per-event counts summed from the day's quarters
  v_day := coalesce(v_day, date_trunc('day', v_from AT TIME ZONE 'UTC') AT TIME ZONE 'UTC');
  v_days_from := coalesce(v_days_from, v_day);
  WHILE v_day + interval '1 day' <= v_to LOOP
    INSERT INTO agent_day_occupancy (day, agent_id, line, handling_s, staffed_s)
    SELECT v_day, o.agent_id, NULL, o.handling_s, o.staffed_s
      FROM tether_agent_occupancy_live(v_day, v_day + interval '1 day', 'day', NULL) o;
    INSERT INTO agent_day_occupancy (day, agent_id, line, handling_s, staffed_s)
    SELECT v_day, o.agent_id, l.line, o.handling_s, o.staffed_s
      FROM (SELECT DISTINCT c.line FROM contact_handling c
             WHERE c.started_at >= v_day - interval '1 day' AND c.started_at < v_day + interval '1 day'
               AND c.line IS NOT NULL) l
     CROSS JOIN LATERAL tether_agent_occupancy_live(v_day, v_day + interval '1 day', 'day', l.line) o
     WHERE o.handling_s > 0;
    INSERT INTO event_day_counts (day, kind, agent_id, line, incident_id, n)
    SELECT v_day, c.kind, c.agent_id, c.line, c.incident_id, sum(c.n)::int
      FROM event_counts c
     WHERE c.bucket >= v_day AND c.bucket < v_day + interval '1 day'
     GROUP BY 2, 3, 4, 5;
    v_day := v_day + interval '1 day';
  END LOOP;
  UPDATE report_rollup_state s SET days_from = v_days_from, days_until = v_day WHERE s.id = 1;

  RETURN QUERY SELECT v_n, v_to, v_to < p_until;
END
$fn$;
