-- tether_dial_result(p_line, p_call_id, p_result, p_trace): the telephony platform could not reach the customer it
-- was asked to dial (ContactCallbackService.dialFailed, for the `no_answer`, `busy` and `failed` call events). The
-- agent it was dialled for is released at once (work closed, voice slot freed, their accepted offer 'dial_failed', no
-- wrap-up: there was no conversation). A callback with attempts left goes back to waiting in its old place (enqueued_at unchanged), not
-- routed again before its retry delay (contacts.not_before = now + callbacks.retry_seconds); the last attempt, or an
-- agent's direct dial, ends the contact (end_reason p_result; a callback's state becomes 'failed').
--
-- Outcomes (outcome, contact_id, agent_id, callback_id, retry_at, attempts):
--   'retry'        the callback waits again until retry_at;
--   'ended'        no more attempts (or a direct dial): the contact ended;
--   'not_dialing'  the call is not being dialled (unknown on this line, inbound and answered, already settled):
--                  nothing written (contact_id set when the call exists).
-- Locks: the call's advisory lock (tether_lock_call), the contact row, its callback, the agent's slot, the offer.

CREATE OR REPLACE FUNCTION tether_dial_result(p_line text, p_call_id text, p_result text, p_trace text)
RETURNS TABLE (outcome text, contact_id uuid, agent_id uuid, callback_id uuid, retry_at timestamptz, attempts int)
LANGUAGE plpgsql AS $fn$
DECLARE
  c contacts%ROWTYPE;
  b callbacks%ROWTYPE;
  v_retry timestamptz;
BEGIN
  PERFORM tether_lock_call(p_line, 'voice', p_call_id);
  SELECT * INTO c FROM contacts x
   WHERE x.line = p_line AND x.channel = 'voice' AND x.external_id = p_call_id FOR UPDATE;
  IF c.id IS NULL THEN
    RETURN QUERY SELECT 'not_dialing'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::timestamptz, NULL::int;
    RETURN;
  END IF;
  IF c.callback_id IS NOT NULL THEN
    SELECT * INTO b FROM callbacks y WHERE y.id = c.callback_id FOR UPDATE;
  END IF;
  -- dialled: a callback whose customer is being called, or an agent's direct dial still connected and unanswered
  IF c.status <> 'connected' OR c.answered_at IS NOT NULL
     OR NOT (b.state = 'dialing' OR (b.id IS NULL AND c.direction = 'outbound')) THEN
    RETURN QUERY SELECT 'not_dialing'::text, c.id, NULL::uuid, NULL::uuid, NULL::timestamptz, NULL::int;
    RETURN;
  END IF;
  UPDATE agent_slots s SET used = greatest(s.used - 1, 0) WHERE s.agent_id = c.agent_id AND s.channel = c.channel;
  -- the offer the agent accepted is over (a retry is a new offer)
  UPDATE offers o SET state = 'dial_failed', end_reason = p_result, resolved_at = now()
   WHERE o.contact_id = c.id AND o.state = 'accepted';

  IF b.id IS NOT NULL AND b.attempts < b.max_attempts THEN
    v_retry := now() + make_interval(secs => b.retry_seconds);
    UPDATE callbacks y SET state = 'waiting', last_result = p_result, updated_at = now() WHERE y.id = b.id;
    UPDATE contacts x SET status = 'queued', agent_id = NULL, work_open = false, connected_at = NULL,
           not_before = v_retry, excluded_agent_ids = '{}',
           routing_trace = x.routing_trace || tether_trace(p_trace)
     WHERE x.id = c.id;
    RETURN QUERY SELECT 'retry'::text, c.id, c.agent_id, b.id, v_retry, b.attempts;
    RETURN;
  END IF;
  IF b.id IS NOT NULL THEN
    UPDATE callbacks y SET state = 'failed', last_result = p_result, updated_at = now() WHERE y.id = b.id;
  END IF;
  UPDATE contacts x SET status = 'ended', end_reason = p_result, ended_at = now(), work_open = false,
         completed_at = now(), routing_trace = x.routing_trace || tether_trace(p_trace)
   WHERE x.id = c.id;
  RETURN QUERY SELECT 'ended'::text, c.id, c.agent_id, b.id, NULL::timestamptz, b.attempts;
END
$fn$;
