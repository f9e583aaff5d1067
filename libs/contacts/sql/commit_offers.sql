-- tether_commit_offers(...): commits a routing pass's decisions (ContactDispatcher), in the transaction whose
-- tether_routing_snapshot holds the line's lock. Each decision i (p_contact_ids[i] to p_agent_ids[i]) is applied with
-- conditional updates, contact still queued and agent slot still free, so a decision that raced a hang-up or another
-- line's pass is dropped, never double-booked. Schedules the pass's holds first (p_hold_kind jobs, the job map's
-- 'routing.sticky-wait', keys p_hold_keys, due p_hold_untils, through tether_schedule_job). Texts come from the
-- caller: p_traces[i] is the engine's why (kept on the offer), p_trace_entries[i] the contact's trace entry. An offer
-- expires after its channel's offer timeout (p_channel_timeouts ->> channel, the line's `channels.<channel>
-- .offerTimeoutSeconds`), else p_timeout_seconds, counted from when it is made (clock_timestamp(), not the
-- transaction's start). With a line's cross-channel rule (p_cross, its `crossChannel`), the agent's slot rows are
-- locked (in channel order) and the rule checked against what they hold now (tether_cross_channel_allows): a pass of
-- another line that gave the agent a call a moment ago is seen, so a chat the rule forbids beside it is dropped.
--
-- Outcome: one row per offer made (offer_id, agent_id, contact_id, expires_at); a dropped decision returns no row
-- (the caller compares counts and passes again). Ids only: the offer's payload (contact, customer card, recent
-- contacts) is read by the agent's gateway (OfferPayloadBuilder.buildPending), since the event announcing the offer
-- carries no personal data; reading it here too would do that work twice on the hot path.
-- Locks: per decision, the contact row (UPDATE), then the agent's slot row (UPDATE; with p_cross all the agent's slot
-- rows, in channel order), then the new offer: the lock order every contact transition follows.

DROP FUNCTION IF EXISTS tether_commit_offers(text, uuid[], uuid[], text[], text[], int, text[], timestamptz[], int);
-- the signature that returned the payload's columns too (p_history_limit: recent contacts per card)
DROP FUNCTION IF EXISTS tether_commit_offers(text, uuid[], uuid[], text[], text[], text[], int, text, text[], timestamptz[], int);
-- the signature before per-channel offer timeouts and the cross-channel rule (p_channel_timeouts, p_cross)
DROP FUNCTION IF EXISTS tether_commit_offers(text, uuid[], uuid[], text[], text[], text[], int, text, text[], timestamptz[]);

CREATE OR REPLACE FUNCTION tether_commit_offers(
  p_line text, p_contact_ids uuid[], p_agent_ids uuid[], p_reasons text[], p_traces text[], p_trace_entries text[],
  p_timeout_seconds int, p_hold_kind text, p_hold_keys text[], p_hold_untils timestamptz[],
  p_channel_timeouts jsonb DEFAULT NULL, p_cross jsonb DEFAULT NULL
) RETURNS TABLE (offer_id uuid, agent_id uuid, contact_id uuid, expires_at timestamptz) LANGUAGE plpgsql AS $fn$
DECLARE
  i int;
  v_channel text;
  v_offer uuid;
  v_expires timestamptz;
  v_load jsonb;
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

    IF p_cross IS NOT NULL THEN
      SELECT jsonb_object_agg(l.channel, l.used) INTO v_load
        FROM (SELECT s.channel, s.used FROM agent_slots s WHERE s.agent_id = p_agent_ids[i]
               ORDER BY s.channel FOR UPDATE) l;
      IF NOT tether_cross_channel_allows(p_cross, coalesce(v_load, '{}'::jsonb), v_channel) THEN
        -- another line's pass gave the agent what the rule forbids this beside: the contact waits for the next pass
        UPDATE contacts c SET status = 'queued', offered_agent_id = NULL, offered_at = NULL WHERE c.id = p_contact_ids[i];
        CONTINUE;
      END IF;
    END IF;

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
            clock_timestamp(),
            clock_timestamp() + make_interval(secs => coalesce((p_channel_timeouts ->> v_channel)::int,
                                                              p_timeout_seconds)))
    RETURNING offers.id, offers.expires_at INTO v_offer, v_expires;

    RETURN QUERY SELECT v_offer, p_agent_ids[i], p_contact_ids[i], v_expires;
  END LOOP;
END
$fn$;
