-- tether_outbound_contact(p_agent, p_line, p_customer, p_number, p_case, p_mode, p_window_start, p_due_at, p_note,
-- p_max_attempts, p_retry_seconds, p_callback_url, p_trace): an agent reaches out (ContactCallbackService): a new
-- outbound voice contact of the customer on p_line (direction 'outbound', its call id `tether-out-<contact id>`),
-- with the same history, case link and trace as a call the customer made.
--   p_mode 'dial'      the agent places the call now: the contact is connected to them at once (a voice slot of
--                      theirs taken, work open) and the telephony platform is asked to dial (a `contact.dial` callback
--                      through the outbox, when p_callback_url is set, with its delivery job as tether_accept_offer's);
--   p_mode 'callback'  the agent schedules a callback: the contact is queued (not routed before p_window_start,
--                      contacts.not_before) with a callback row (requested by the agent, due at p_due_at), aimed at
--                      the owner of the case (p_case, else the customer's open case on the line), else the agent who
--                      scheduled it (the contact's preferred agent: sticky_agent_id with last_agent_at now). The
--                      customer is not on a line, so whoever accepts it gets them dialled.
-- p_number is the number to call (else the customer's first phone); p_case, when given, must be the customer's.
--
-- Outcomes (outcome, contact_id, call_id, callback_id, owner_agent_id, due_at, outbox_id, outbox_body):
--   'created'        written as above;
--   'no_customer'    no such customer;
--   'case_not_found' p_case is not a case of this customer;
--   'no_number'      no number to call;
--   'busy'           (dial) the agent has no free voice slot, or is signed out: nothing written;
-- Locks: the customer row (FOR SHARE: an erasure waits), the agent's voice slot (dial), the new rows.

CREATE OR REPLACE FUNCTION tether_outbound_contact(
  p_agent uuid, p_line text, p_customer uuid, p_number text, p_case uuid, p_mode text, p_window_start timestamptz,
  p_due_at timestamptz, p_note text, p_max_attempts int, p_retry_seconds int, p_callback_url text, p_trace text
) RETURNS TABLE (outcome text, contact_id uuid, call_id text, callback_id uuid, owner_agent_id uuid,
                 due_at timestamptz, outbox_id uuid, outbox_body jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_contact uuid := tether_new_id();
  v_call text := 'tether-out-' || v_contact;
  v_number text;
  v_case uuid;
  v_owner uuid;
  v_window timestamptz;
  v_callback uuid;
  v_outbox uuid;
  v_body jsonb;
  v_due timestamptz;
BEGIN
  PERFORM 1 FROM customers cu WHERE cu.id = p_customer FOR SHARE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_customer'::text, NULL::uuid, NULL::text, NULL::uuid, NULL::uuid, NULL::timestamptz,
                        NULL::uuid, NULL::jsonb;
    RETURN;
  END IF;
  IF p_case IS NOT NULL THEN
    SELECT k.id, k.owner_id INTO v_case, v_owner FROM cases k WHERE k.id = p_case AND k.customer_id = p_customer;
    IF v_case IS NULL THEN
      RETURN QUERY SELECT 'case_not_found'::text, NULL::uuid, NULL::text, NULL::uuid, NULL::uuid,
                          NULL::timestamptz, NULL::uuid, NULL::jsonb;
      RETURN;
    END IF;
  ELSE
    SELECT k.id, k.owner_id INTO v_case, v_owner FROM cases k
     WHERE k.customer_id = p_customer AND k.line = p_line AND k.status IN ('open', 'waiting_on_customer')
     ORDER BY k.updated_at DESC, k.id LIMIT 1;
  END IF;
  v_number := coalesce(p_number, (SELECT i.value FROM customer_identities i
                                   WHERE i.customer_id = p_customer AND i.kind = 'phone' ORDER BY i.value LIMIT 1));
  IF v_number IS NULL THEN
    RETURN QUERY SELECT 'no_number'::text, NULL::uuid, NULL::text, NULL::uuid, NULL::uuid, NULL::timestamptz,
                        NULL::uuid, NULL::jsonb;
    RETURN;
  END IF;

  IF p_mode = 'dial' THEN
    UPDATE agent_slots s SET used = s.used + 1
     WHERE s.agent_id = p_agent AND s.channel = 'voice' AND s.used < s.capacity
       AND EXISTS (SELECT 1 FROM agent_presence p WHERE p.agent_id = p_agent AND p.state <> 'offline');
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'busy'::text, NULL::uuid, NULL::text, NULL::uuid, NULL::uuid, NULL::timestamptz,
                          NULL::uuid, NULL::jsonb;
      RETURN;
    END IF;
    INSERT INTO contacts (id, external_id, channel, line, customer_id, from_address, to_address, priority,
                          required_skills, status, agent_id, work_open, connected_at, routing_trace, case_id,
                          direction)
    VALUES (v_contact, v_call, 'voice', p_line, p_customer, NULL, v_number, 0, '{}'::jsonb, 'connected', p_agent,
            true, now(), tether_trace(p_trace), v_case, 'outbound');
    IF p_callback_url IS NOT NULL THEN
      v_body := jsonb_build_object('event', 'contact.dial', 'callId', v_call, 'contactId', v_contact,
                                   'agentId', p_agent, 'number', v_number, 'attempt', 1);
      INSERT INTO outbound_webhooks (url, event, body) VALUES (p_callback_url, 'contact.dial', v_body)
      RETURNING outbound_webhooks.id INTO v_outbox;
      PERFORM tether_schedule_job('telephony.callback', v_outbox::text, jsonb_build_object('id', v_outbox),
                                  now() + interval '5 seconds');
    END IF;
    RETURN QUERY SELECT 'created'::text, v_contact, v_call, NULL::uuid, NULL::uuid, NULL::timestamptz, v_outbox,
                        v_body;
    RETURN;
  END IF;

  v_owner := coalesce(v_owner, p_agent);
  v_window := CASE WHEN p_window_start > now() THEN p_window_start END;
  v_due := greatest(p_due_at, coalesce(v_window, now()));
  INSERT INTO contacts (id, external_id, channel, line, customer_id, from_address, to_address, priority,
                        required_skills, status, sticky_agent_id, last_agent_at, routing_trace, case_id, direction,
                        not_before)
  VALUES (v_contact, v_call, 'voice', p_line, p_customer, NULL, v_number, 0, '{}'::jsonb, 'queued', v_owner, now(),
          tether_trace(p_trace), v_case, 'outbound', v_window);
  INSERT INTO callbacks (contact_id, line, customer_id, case_id, owner_agent_id, requested_by, requested_by_agent_id,
                         number, note, window_start, due_at, caller_left_at, max_attempts, retry_seconds)
  VALUES (v_contact, p_line, p_customer, v_case, v_owner, 'agent', p_agent, v_number, p_note, v_window, v_due, now(),
          p_max_attempts, p_retry_seconds)
  RETURNING callbacks.id INTO v_callback;
  UPDATE contacts x SET callback_id = v_callback WHERE x.id = v_contact;
  RETURN QUERY SELECT 'created'::text, v_contact, v_call, v_callback, v_owner, v_due, NULL::uuid, NULL::jsonb;
END
$fn$;
