-- tether_accept_offer(p_agent, p_offer, p_callback_url): an agent accepts an offer (OfferService.accept). The offer
-- becomes accepted and the contact connected to the agent (work open, connected_at now). When p_callback_url is set,
-- the telephony platform's contact.connected callback is written to the outbox (outbound_webhooks) with its
-- safety-net delivery job ('telephony.callback', dedupe key the outbox row's id, due in 5 s unless the caller
-- delivered first: TelephonyCallbackService). That key is the new row's id, so tether_schedule_job's ON CONFLICT
-- cannot apply: the job is always written, as with the plain INSERT this function used before.
--
-- A contact being transferred (contacts.transfer_id) completes its transfer here: the transfer is `completed` with
-- this agent, a warm transfer's agent is released (work closed, slot freed; the contact is this agent's now), and the
-- callback is `contact.transferred` {callId, contactId, fromAgentId, toAgentId} instead, so the platform re-bridges
-- the call once, through the same outbox.
--
-- A contact whose call came through the Twilio adapter (contacts.provider 'twilio') gets its outbox row whatever
-- p_callback_url is, addressed 'twilio:calls': its delivery updates (or, for a dial, creates) the call through
-- Twilio's REST API instead of POSTing the JSON.
--
-- A contact waiting as a callback (contacts.callback_id) whose customer is no longer on the line (they hung up after
-- confirming it, callbacks.caller_left_at, or an agent scheduled it) is dialled: the callback becomes 'dialing' (one
-- more attempt) and the callback is `contact.dial` {callId, contactId, agentId, number, attempt, callbackId}; the
-- platform reports the dial's result as call events (answered; no_answer, busy, failed: tether_dial_result). A
-- caller who confirmed a callback but is still on the line is bridged as any caller (the callback 'connected').
--
-- Outcomes (outcome, contact_id, line, state, end_reason, callback_id, callback_body, transfer_id, transfer_from,
--          transfer_mode, case_notice_id, case_owner_id, callback_url):
--   'accepted'          now connected; callback_id/callback_body/callback_url set when a callback was written; transfer_id,
--                       transfer_from and transfer_mode set when this completed a transfer; case_notice_id and
--                       case_owner_id set when the contact's case belongs to someone else, who gets a notice;
--   'already_accepted'  this agent accepted it before (a repeated accept);
--   'not_found'         no such offer, or not this agent's (all other columns NULL);
--   'ended'             no longer pending (rejected, expired, revoked): state and end_reason say how;
--   'expired'           still pending but past expires_at (the sweep has not got to it yet);
--   'contact_moved'     pending, but the contact is no longer offered to this agent.
-- Locks: contact row, then offer (tether_lock_offer); then the offer and contact updates, the case notice, the
-- transfer, the outbox row, the job.
-- History: the 'connected' event (contact_events) is written here, the row tether_contact_events_contacts would
-- write (detail.reason the offer's, detail.first on the contact's first answer), with `tether.history` set around
-- the contact's update so the trigger stands aside (contact_events_contacts.sql).
--
-- Until commit c01df81 the function returned no callback_body; CREATE OR REPLACE cannot change a function's result
-- columns, so a database still holding that version drops it first (the convention in libs/persistence/README.md).
-- Before transfers it returned no transfer_id, before case notices no case_notice_id, before providers no
-- callback_url: the same applies.
DO $drop$
BEGIN
  IF to_regprocedure('tether_accept_offer(uuid, uuid, text)') IS NOT NULL
     AND pg_get_function_result('tether_accept_offer(uuid, uuid, text)'::regprocedure) NOT LIKE '%callback_url%' THEN
    DROP FUNCTION tether_accept_offer(uuid, uuid, text);
  END IF;
END
$drop$;

CREATE OR REPLACE FUNCTION tether_accept_offer(p_agent uuid, p_offer uuid, p_callback_url text)
RETURNS TABLE (outcome text, contact_id uuid, line text, state text, end_reason text, callback_id uuid,
               callback_body jsonb, transfer_id uuid, transfer_from uuid, transfer_mode text,
               case_notice_id bigint, case_owner_id uuid, callback_url text)
LANGUAGE plpgsql AS $fn$
DECLARE
  o offers%ROWTYPE;
  v_status text;
  v_offered_to uuid;
  v_external text;
  v_callback uuid;
  v_body jsonb;
  v_channel text;
  v_transfer uuid;
  v_case uuid;
  v_notice bigint;
  v_owner uuid;
  t transfers%ROWTYPE;
  b callbacks%ROWTYPE;
  v_callback_of uuid;
  v_provider text;
  v_url text;
  v_contact_line text;
  v_customer uuid;
  v_incident uuid;
  v_connected_before timestamptz;
BEGIN
  SELECT * INTO o FROM tether_lock_offer(p_offer);
  IF o.id IS NULL OR o.agent_id <> p_agent THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::uuid, NULL::text, NULL::text, NULL::text,
                        NULL::uuid, NULL::jsonb, NULL::uuid, NULL::uuid, NULL::text,
                        NULL::bigint, NULL::uuid, NULL::text;
    RETURN;
  END IF;
  IF o.state = 'accepted' THEN
    RETURN QUERY SELECT 'already_accepted'::text, o.contact_id, o.line, o.state, o.end_reason,
                        NULL::uuid, NULL::jsonb, NULL::uuid, NULL::uuid, NULL::text,
                        NULL::bigint, NULL::uuid, NULL::text;
    RETURN;
  END IF;
  IF o.state <> 'pending' THEN
    RETURN QUERY SELECT 'ended'::text, o.contact_id, o.line, o.state, o.end_reason,
                        NULL::uuid, NULL::jsonb, NULL::uuid, NULL::uuid, NULL::text,
                        NULL::bigint, NULL::uuid, NULL::text;
    RETURN;
  END IF;
  IF o.expires_at <= now() THEN
    RETURN QUERY SELECT 'expired'::text, o.contact_id, o.line, o.state, o.end_reason,
                        NULL::uuid, NULL::jsonb, NULL::uuid, NULL::uuid, NULL::text,
                        NULL::bigint, NULL::uuid, NULL::text;
    RETURN;
  END IF;
  SELECT c.status, c.offered_agent_id, c.external_id, c.channel, c.transfer_id, c.case_id, c.callback_id, c.provider,
         c.line, c.customer_id, c.incident_id, c.connected_at
    INTO v_status, v_offered_to, v_external, v_channel, v_transfer, v_case, v_callback_of, v_provider,
         v_contact_line, v_customer, v_incident, v_connected_before
    FROM contacts c WHERE c.id = o.contact_id;
  IF v_status <> 'offered' OR v_offered_to IS DISTINCT FROM p_agent THEN
    RETURN QUERY SELECT 'contact_moved'::text, o.contact_id, o.line, o.state, o.end_reason,
                        NULL::uuid, NULL::jsonb, NULL::uuid, NULL::uuid, NULL::text,
                        NULL::bigint, NULL::uuid, NULL::text;
    RETURN;
  END IF;

  UPDATE offers SET state = 'accepted', resolved_at = now() WHERE offers.id = p_offer;
  PERFORM set_config('tether.history', 'written', true);
  UPDATE contacts c SET status = 'connected', agent_id = p_agent, offered_agent_id = NULL, work_open = true,
         connected_at = now(), transfer_id = NULL,
         routing_trace = c.routing_trace || tether_trace('accepted by ' || p_agent)
   WHERE c.id = o.contact_id;
  PERFORM set_config('tether.history', '', true);
  INSERT INTO contact_events (at, kind, contact_id, line, channel, agent_id, customer_id, case_id, incident_id, detail)
  VALUES (now(), 'connected', o.contact_id, v_contact_line, v_channel, p_agent, v_customer, v_case, v_incident,
          jsonb_strip_nulls(jsonb_build_object('reason', o.reason,
                                               'first', CASE WHEN v_connected_before IS NULL THEN true END)));
  IF v_case IS NOT NULL THEN
    -- someone other than the case's owner took their customer: the owner gets a notice (delivered by the caller)
    INSERT INTO case_notices (agent_id, case_id, contact_id, kind, by_agent_id)
    SELECT k.owner_id, k.id, o.contact_id, 'customer_called', p_agent FROM cases k
     WHERE k.id = v_case AND k.owner_id IS NOT NULL AND k.owner_id <> p_agent
    RETURNING case_notices.id, case_notices.agent_id INTO v_notice, v_owner;
  END IF;
  IF v_transfer IS NOT NULL THEN
    UPDATE transfers y SET state = 'completed', to_agent_id = p_agent, resolved_at = now()
     WHERE y.id = v_transfer AND y.state = 'pending' RETURNING y.* INTO t;
    IF t.id IS NOT NULL AND t.mode = 'warm' THEN
      UPDATE agent_slots s SET used = greatest(s.used - 1, 0) WHERE s.agent_id = t.from_agent_id AND s.channel = v_channel;
    END IF;
  END IF;
  IF v_callback_of IS NOT NULL THEN
    UPDATE callbacks y SET state = CASE WHEN y.caller_left_at IS NULL THEN 'connected' ELSE 'dialing' END,
           attempts = y.attempts + CASE WHEN y.caller_left_at IS NULL THEN 0 ELSE 1 END, updated_at = now()
     WHERE y.id = v_callback_of AND y.state = 'waiting' RETURNING y.* INTO b;
  END IF;
  -- a call that came through Twilio is reached through Twilio's REST API (TelephonyCallbackService, 'twilio:calls')
  v_url := CASE WHEN v_provider = 'twilio' THEN 'twilio:calls' ELSE p_callback_url END;
  IF v_url IS NOT NULL THEN
    v_body := CASE WHEN t.id IS NOT NULL
      THEN jsonb_build_object('event', 'contact.transferred', 'callId', v_external, 'contactId', o.contact_id,
                              'fromAgentId', t.from_agent_id, 'toAgentId', p_agent)
      WHEN b.state = 'dialing'
      THEN jsonb_build_object('event', 'contact.dial', 'callId', v_external, 'contactId', o.contact_id,
                              'agentId', p_agent, 'number', b.number, 'attempt', b.attempts, 'callbackId', b.id)
      ELSE jsonb_build_object('event', 'contact.connected', 'callId', v_external, 'contactId', o.contact_id,
                              'agentId', p_agent) END;
    INSERT INTO outbound_webhooks (url, event, body) VALUES (v_url, v_body ->> 'event', v_body)
    RETURNING outbound_webhooks.id INTO v_callback;
    PERFORM tether_schedule_job('telephony.callback', v_callback::text, jsonb_build_object('id', v_callback),
                                now() + interval '5 seconds');
  END IF;
  RETURN QUERY SELECT 'accepted'::text, o.contact_id, o.line, 'accepted'::text, NULL::text, v_callback, v_body,
                      t.id, t.from_agent_id, t.mode, v_notice, v_owner, CASE WHEN v_callback IS NOT NULL THEN v_url END;
END
$fn$;
