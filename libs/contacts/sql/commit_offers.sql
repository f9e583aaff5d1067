-- tether_commit_offers(...): commits a routing pass's decisions (ContactDispatcher), in the transaction whose
-- tether_routing_snapshot holds the line's lock. Each decision i (p_contact_ids[i] to p_agent_ids[i]) is applied with
-- conditional updates, contact still queued and agent slot still free, so a decision that raced a hang-up or another
-- line's pass is dropped, never double-booked. Schedules the pass's holds first (p_hold_kind jobs, the job map's
-- 'routing.sticky-wait', keys p_hold_keys, due p_hold_untils, through tether_schedule_job). Texts come from the
-- caller: p_traces[i] is the engine's why (kept on the offer), p_trace_entries[i] the contact's trace entry. An offer
-- expires p_timeout_seconds after it is made (clock_timestamp(), not the transaction's start).
--
-- Outcome: one row per offer made (offer_id, agent_id, contact_id, expires_at); a dropped decision returns no row
-- (the caller compares counts and passes again). Ids only: the offer's payload (contact, customer card, recent
-- contacts) is read by the agent's gateway (OfferPayloadBuilder.buildPending), since the event announcing the offer
-- carries no personal data; reading it here too would do that work twice on the hot path.
-- Locks: per decision, the contact row (UPDATE), then the agent's slot row (UPDATE), then the new offer: the lock
-- order every contact transition follows.

DROP FUNCTION IF EXISTS tether_commit_offers(text, uuid[], uuid[], text[], text[], int, text[], timestamptz[], int);
-- the signature that returned the payload's columns too (p_history_limit: recent contacts per card)
DROP FUNCTION IF EXISTS tether_commit_offers(text, uuid[], uuid[], text[], text[], text[], int, text, text[], timestamptz[], int);

CREATE OR REPLACE FUNCTION tether_commit_offers(
  p_line text, p_contact_ids uuid[], p_agent_ids uuid[], p_reasons text[], p_traces text[], p_trace_entries text[],
  p_timeout_seconds int, p_hold_kind text, p_hold_keys text[], p_hold_untils timestamptz[]
) RETURNS TABLE (offer_id uuid, agent_id uuid, contact_id uuid, expires_at timestamptz) LANGUAGE plpgsql AS $fn$
DECLARE
  i int;
  v_channel text;
  v_offer uuid;
  v_expires timestamptz;
BEGIN
  IF coalesce(array_length(p_hold_keys, 1), 0) > 0 THEN
    PERFORM tether_schedule_job(p_hold_kind, h.k, jsonb_build_object('line', p_line), h.u)
       FROM unnest(p_hold_keys, p_hold_untils) AS h(k, u);
  END IF;

  FOR i IN 1 .. coalesce(array_length(p_contact_ids, 1), 0) LOOP
    UPDATE contacts c SET status = 'offered', offered_agent_id = p_agent_ids[i], offered_at = now(),
           routing_trace = c.routing_trace || tether_trace(p_trace_entries[i])
     WHERE c.id = p_contact_ids[i] AND c.status = 'queued'
    RETURNING c.channel INTO v_channel;
    CONTINUE WHEN NOT FOUND;

    UPDATE agent_slots s SET used = s.used + 1
     WHERE s.agent_id = p_agent_ids[i] AND s.channel = v_channel AND s.used < s.capacity;
    IF NOT FOUND THEN
      -- another line's pass took this agent's last slot a moment ago: the contact waits for the next pass
      UPDATE contacts c SET status = 'queued', offered_agent_id = NULL, offered_at = NULL WHERE c.id = p_contact_ids[i];
      CONTINUE;
    END IF;

    -- clock_timestamp(), not now(): waiting for the line lock must not come out of the agent's time to answer
    INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at)
    VALUES (p_contact_ids[i], p_agent_ids[i], p_line, v_channel, 'pending', p_reasons[i], p_traces[i],
            clock_timestamp(), clock_timestamp() + make_interval(secs => p_timeout_seconds))
    RETURNING offers.id, offers.expires_at INTO v_offer, v_expires;

    RETURN QUERY SELECT v_offer, p_agent_ids[i], p_contact_ids[i], v_expires;
  END LOOP;
END
$fn$;
