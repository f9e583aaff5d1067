-- tether_confirm_callback(p_line, p_call_id, p_window_start, p_due_at, p_number, p_max_attempts, p_retry_seconds,
-- p_trace): the caller confirmed in the IVR that they want to be called back (ContactCallbackService.confirm, for
-- POST /v1/telephony/calls/{callId}/callback). Their contact keeps its place (enqueued_at is not touched): once they
-- hang up it waits as a callback instead of being abandoned (the hang-up only stamps callbacks.caller_left_at), and the
-- agent who accepts it gets the customer dialled (tether_accept_offer: a `contact.dial` callback). A window start in
-- the future keeps the contact out of routing until then (contacts.not_before); the callback is aimed at the owner of
-- the contact's open case, else the customer's last agent on the line (the engine's own preference, unchanged), and
-- due at p_due_at (missed after that: escalated by the caller's `callback.due` job). The number dialled is p_number,
-- else the number the customer called from.
--
-- Outcomes (outcome, contact_id, callback_id, owner_agent_id, due_at, window_start, customer_id):
--   'confirmed'     the callback was written (and the contact linked to it);
--   'exists'        the contact already has a callback: it is answered, nothing is written (a repeated confirmation);
--   'not_found'     no call with this id on this line (all other columns NULL);
--   'not_waiting'   the contact is connected or ended: there is no place in a queue to keep;
--   'offered_now'   a window in the future was asked while an agent is being offered the contact: confirm without a
--                   window, or after the offer is settled;
--   'no_number'     no number to call back (none given, the caller's withheld or erased).
-- Locks: the call's advisory lock (tether_lock_call, as the webhook and the hang-up), then the contact row.

CREATE OR REPLACE FUNCTION tether_confirm_callback(
  p_line text, p_call_id text, p_window_start timestamptz, p_due_at timestamptz, p_number text,
  p_max_attempts int, p_retry_seconds int, p_trace text
) RETURNS TABLE (outcome text, contact_id uuid, callback_id uuid, owner_agent_id uuid, due_at timestamptz,
                 window_start timestamptz, customer_id uuid)
LANGUAGE plpgsql AS $fn$
DECLARE
  c contacts%ROWTYPE;
  b callbacks%ROWTYPE;
  v_owner uuid;
  v_window timestamptz;
BEGIN
  PERFORM tether_lock_call(p_line, 'voice', p_call_id);
  SELECT * INTO c FROM contacts x
   WHERE x.line = p_line AND x.channel = 'voice' AND x.external_id = p_call_id FOR UPDATE;
  IF c.id IS NULL THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::timestamptz,
                        NULL::timestamptz, NULL::uuid;
    RETURN;
  END IF;
  IF c.callback_id IS NOT NULL THEN
    SELECT * INTO b FROM callbacks y WHERE y.id = c.callback_id;
    RETURN QUERY SELECT 'exists'::text, c.id, b.id, b.owner_agent_id, b.due_at, b.window_start, c.customer_id;
    RETURN;
  END IF;
  IF c.status NOT IN ('queued', 'offered') THEN
    RETURN QUERY SELECT 'not_waiting'::text, c.id, NULL::uuid, NULL::uuid, NULL::timestamptz,
                        NULL::timestamptz, c.customer_id;
    RETURN;
  END IF;
  v_window := CASE WHEN p_window_start > now() THEN p_window_start END;
  IF v_window IS NOT NULL AND c.status = 'offered' THEN
    RETURN QUERY SELECT 'offered_now'::text, c.id, NULL::uuid, NULL::uuid, NULL::timestamptz,
                        NULL::timestamptz, c.customer_id;
    RETURN;
  END IF;
  IF coalesce(p_number, c.from_address) IS NULL THEN
    RETURN QUERY SELECT 'no_number'::text, c.id, NULL::uuid, NULL::uuid, NULL::timestamptz,
                        NULL::timestamptz, c.customer_id;
    RETURN;
  END IF;
  SELECT k.owner_id INTO v_owner FROM cases k
   WHERE k.id = c.case_id AND k.status IN ('open', 'waiting_on_customer');
  v_owner := coalesce(v_owner, c.sticky_agent_id);

  INSERT INTO callbacks (contact_id, line, customer_id, case_id, owner_agent_id, requested_by, number, window_start,
                         due_at, max_attempts, retry_seconds)
  VALUES (c.id, c.line, c.customer_id, c.case_id, v_owner, 'caller', coalesce(p_number, c.from_address), v_window,
          greatest(p_due_at, coalesce(v_window, now())), p_max_attempts, p_retry_seconds)
  RETURNING * INTO b;
  UPDATE contacts x SET callback_id = b.id, not_before = v_window,
         routing_trace = x.routing_trace || tether_trace(p_trace)
   WHERE x.id = c.id;
  RETURN QUERY SELECT 'confirmed'::text, c.id, b.id, b.owner_agent_id, b.due_at, b.window_start, c.customer_id;
END
$fn$;
