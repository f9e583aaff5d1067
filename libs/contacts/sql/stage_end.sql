-- tether_stage_end(p_contact, p_line, p_route, p_callback_url, p_channel_delivery, p_trace): a waiting contact's last
-- stage ended (ContactDispatcher, in the routing pass of p_line, under that line's lock): the stage end action its
-- rule gave it at arrival (contacts.routing_plan -> 'afterStages': { line, reason } | { callback, reason? } |
-- { announcement }) is applied, at most once: the claim is the plan still holding the action, the contact still
-- queued and still waiting on p_line; applying it removes the action from the plan (or replaces the plan).
--   line          the contact waits on that line's queue from now on (contacts.routed_line, redirect_reason: the
--                 offer's `contact.redirect`), decided there as the caller decided by that line's rules: p_route
--                 { priority, requiredSkills, plan, stickyAgentId, lastAgentAt, caseId, excludedAgentIds,
--                 offerCallback } (the plan's stages already counted from arrival);
--   callback      contacts.offer_callback = true (the call's view says callbackOffered); the caller confirms with
--                 POST /v1/telephony/calls/{callId}/callback as for any offered callback;
--   announcement  nothing changes but the plan: the contact keeps waiting in its last stage.
-- Each is written to the contact's trace (p_trace) and history (contact_events kind 'stage_end', detail { action,
-- toLine?, reason? }: no text). The platform learns of it: a call (not Twilio's) gets an outbox row to
-- p_callback_url (when set) with its delivery job due at once — `contact.redirected` { callId, contactId, line,
-- reason }, `contact.callback_offered` { callId, contactId, reason? }, `contact.announcement` { callId, contactId,
-- text }; a messaging contact gets the announcement (or the callback's reason) as an automatic reply (messages,
-- direction 'out', no agent), delivered in the conversation's order by 'channel.deliver' when p_channel_delivery.
--
-- Outcomes (outcome, contact_id, action, to_line, callback_id, callback_body):
--   'applied'       the action was taken (action: 'line' | 'callback' | 'announcement'; to_line for 'line';
--                   callback_id/callback_body when an outbox row was written);
--   'not_waiting'   the contact is offered, connected or ended (or unknown): untouched;
--   'moved'         it waits on another line than p_line now: untouched;
--   'done'          its plan holds no action (applied before, by this or another instance): untouched.
-- Locks: the contact row (FOR UPDATE), as every lifecycle function.

CREATE OR REPLACE FUNCTION tether_stage_end(
  p_contact uuid, p_line text, p_route jsonb, p_callback_url text, p_channel_delivery boolean, p_trace text
) RETURNS TABLE (outcome text, contact_id uuid, action text, to_line text, callback_id uuid, callback_body jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  c contacts%ROWTYPE;
  v_action jsonb;
  v_kind text;
  v_body jsonb;
  v_reply text;
  v_callback uuid;
BEGIN
  SELECT * INTO c FROM contacts WHERE id = p_contact FOR UPDATE;
  IF c.id IS NULL OR c.status <> 'queued' THEN
    RETURN QUERY SELECT 'not_waiting'::text, c.id, NULL::text, NULL::text, NULL::uuid, NULL::jsonb;
    RETURN;
  END IF;
  IF coalesce(c.routed_line, c.line) <> p_line THEN
    RETURN QUERY SELECT 'moved'::text, c.id, NULL::text, NULL::text, NULL::uuid, NULL::jsonb;
    RETURN;
  END IF;
  v_action := c.routing_plan -> 'afterStages';
  IF v_action IS NULL OR jsonb_typeof(v_action) <> 'object' THEN
    RETURN QUERY SELECT 'done'::text, c.id, NULL::text, NULL::text, NULL::uuid, NULL::jsonb;
    RETURN;
  END IF;
  v_kind := CASE WHEN v_action ? 'line' THEN 'line' WHEN v_action ? 'callback' THEN 'callback' ELSE 'announcement' END;

  IF v_kind = 'line' THEN
    UPDATE contacts SET routed_line = v_action ->> 'line', redirect_reason = v_action ->> 'reason',
           priority = coalesce((p_route ->> 'priority')::int, priority),
           required_skills = coalesce(p_route -> 'requiredSkills', '{}'::jsonb),
           routing_plan = CASE WHEN jsonb_typeof(p_route -> 'plan') = 'object' THEN p_route -> 'plan' END,
           sticky_agent_id = (p_route ->> 'stickyAgentId')::uuid,
           last_agent_at = (p_route ->> 'lastAgentAt')::timestamptz,
           case_id = coalesce((p_route ->> 'caseId')::uuid, case_id),
           excluded_agent_ids = excluded_agent_ids || coalesce(
             ARRAY(SELECT jsonb_array_elements_text(p_route -> 'excludedAgentIds'))::uuid[], '{}'),
           offer_callback = offer_callback OR coalesce((p_route ->> 'offerCallback')::boolean, false),
           routing_trace = routing_trace || tether_trace(p_trace)
     WHERE id = c.id;
  ELSIF v_kind = 'callback' THEN
    UPDATE contacts SET offer_callback = true, routing_plan = routing_plan - 'afterStages',
           routing_trace = routing_trace || tether_trace(p_trace)
     WHERE id = c.id;
  ELSE
    UPDATE contacts SET routing_plan = routing_plan - 'afterStages',
           routing_trace = routing_trace || tether_trace(p_trace)
     WHERE id = c.id;
  END IF;

  INSERT INTO contact_events (kind, contact_id, line, channel, customer_id, case_id, incident_id, detail)
  VALUES ('stage_end', c.id, c.line, c.channel, c.customer_id, c.case_id, c.incident_id,
          jsonb_strip_nulls(jsonb_build_object('action', v_kind, 'fromLine', p_line,
                                               'toLine', v_action ->> 'line', 'reason', v_action ->> 'reason')));

  IF c.channel = 'voice' THEN
    IF p_callback_url IS NOT NULL AND c.provider <> 'twilio' THEN
      v_body := CASE v_kind
        WHEN 'line' THEN jsonb_build_object('event', 'contact.redirected', 'callId', c.external_id,
                                            'contactId', c.id, 'line', v_action ->> 'line',
                                            'reason', v_action ->> 'reason')
        WHEN 'callback' THEN jsonb_strip_nulls(jsonb_build_object('event', 'contact.callback_offered',
                                            'callId', c.external_id, 'contactId', c.id,
                                            'reason', v_action ->> 'reason'))
        ELSE jsonb_build_object('event', 'contact.announcement', 'callId', c.external_id, 'contactId', c.id,
                                'text', v_action ->> 'announcement') END;
      INSERT INTO outbound_webhooks (url, event, body) VALUES (p_callback_url, v_body ->> 'event', v_body)
      RETURNING outbound_webhooks.id INTO v_callback;
      PERFORM tether_schedule_job('telephony.callback', v_callback::text, jsonb_build_object('id', v_callback),
                                  now());
    END IF;
  ELSE
    v_reply := CASE v_kind WHEN 'announcement' THEN v_action ->> 'announcement' ELSE v_action ->> 'reason' END;
    IF v_reply IS NOT NULL THEN
      INSERT INTO messages (contact_id, line, channel, direction, seq, text)
      SELECT c.id, c.line, c.channel, 'out', coalesce(max(m.seq), 0) + 1, v_reply FROM messages m
       WHERE m.contact_id = c.id;
      IF p_channel_delivery THEN
        PERFORM tether_schedule_job('channel.deliver', c.id::text, jsonb_build_object('contactId', c.id), now());
      END IF;
    END IF;
  END IF;

  RETURN QUERY SELECT 'applied'::text, c.id, v_kind, v_action ->> 'line', v_callback, v_body;
END
$fn$;
