-- tether_force_assign(p_contact, p_agent, p_timeout_seconds, p_trace): a supervisor offers a waiting contact to an
-- agent they chose, whatever the line's rules say (SupervisorAssignService). The contact must still be waiting: queued,
-- or offered to someone else, whose pending offer is revoked first (end_reason 'supervisor_assigned', not excluded: it
-- was not that agent's doing). The agent must be signed in (not offline, with a live connection) and have a free slot
-- on the contact's channel. The offer then is exactly a routed one: a pending row with reason 'supervisor' and trace
-- p_trace, expiring p_timeout_seconds after it is made (clock_timestamp(), as tether_commit_offers), so the agent's
-- gateway announces it on `offer.created` and the offer expiry clock ends it if nobody answers.
--
-- Outcomes (outcome, offer_id, expires_at, line, channel, status, revoked_offer_id, revoked_agent_id):
--   'offered'            the offer is made; revoked_offer_id/revoked_agent_id set when another agent's offer was revoked;
--   'contact_not_found'  no such contact;
--   'not_waiting'        the contact is connected or ended (status says which);
--   'already_offered'    the contact is offered to this very agent now (offer_id: that offer);
--   'agent_not_found'    no such agent (or removed);
--   'agent_offline'      the agent is offline or has no live connection;
--   'no_capacity'        the agent has no free slot on the contact's channel.
-- line is the line the contact waits on (a pending transfer's target line, else its own) for every outcome but the
-- two not_found ones.
-- Locks: the contact row (FOR UPDATE), then its pending offer (FOR UPDATE), then the chosen agent's slot row (FOR
-- UPDATE); then the old offer is ended (tether_end_offer: offer, contact, the other agent's slot), the contact offered,
-- the slot claimed, the offer inserted: the order every contact transition follows. No line lock: a routing pass that
-- read the contact as queued finds it offered at its conditional UPDATE and drops that decision.

CREATE OR REPLACE FUNCTION tether_force_assign(p_contact uuid, p_agent uuid, p_timeout_seconds int, p_trace text)
RETURNS TABLE (outcome text, offer_id uuid, expires_at timestamptz, line text, channel text, status text,
               revoked_offer_id uuid, revoked_agent_id uuid)
LANGUAGE plpgsql AS $fn$
DECLARE
  c contacts%ROWTYPE;
  v_line text;
  o offers%ROWTYPE;
  v_state text;
  v_connected boolean;
  v_capacity int;
  v_used int;
  v_offer uuid;
  v_expires timestamptz;
BEGIN
  SELECT * INTO c FROM contacts x WHERE x.id = p_contact FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'contact_not_found'::text, NULL::uuid, NULL::timestamptz, NULL::text, NULL::text, NULL::text,
                        NULL::uuid, NULL::uuid;
    RETURN;
  END IF;
  SELECT coalesce(t.target_line, c.routed_line, c.line) INTO v_line
    FROM (SELECT 1) one_ LEFT JOIN transfers t ON t.id = c.transfer_id AND t.state = 'pending';
  IF c.status NOT IN ('queued', 'offered') THEN
    RETURN QUERY SELECT 'not_waiting'::text, NULL::uuid, NULL::timestamptz, v_line, c.channel, c.status,
                        NULL::uuid, NULL::uuid;
    RETURN;
  END IF;
  IF c.status = 'offered' THEN
    SELECT * INTO o FROM offers x WHERE x.contact_id = p_contact AND x.state = 'pending' FOR UPDATE;
    IF o.id IS NOT NULL AND o.agent_id = p_agent THEN
      RETURN QUERY SELECT 'already_offered'::text, o.id, o.expires_at, v_line, c.channel, c.status,
                          NULL::uuid, NULL::uuid;
      RETURN;
    END IF;
  END IF;

  SELECT p.state, EXISTS (SELECT 1 FROM agent_connections k WHERE k.agent_id = a.id)
    INTO v_state, v_connected
    FROM agents a JOIN agent_presence p ON p.agent_id = a.id
   WHERE a.id = p_agent AND a.deleted_at IS NULL;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'agent_not_found'::text, NULL::uuid, NULL::timestamptz, NULL::text, NULL::text, NULL::text,
                        NULL::uuid, NULL::uuid;
    RETURN;
  END IF;
  IF v_state = 'offline' OR NOT v_connected THEN
    RETURN QUERY SELECT 'agent_offline'::text, NULL::uuid, NULL::timestamptz, v_line, c.channel, c.status,
                        NULL::uuid, NULL::uuid;
    RETURN;
  END IF;
  SELECT s.capacity, s.used INTO v_capacity, v_used
    FROM agent_slots s WHERE s.agent_id = p_agent AND s.channel = c.channel FOR UPDATE;
  IF NOT FOUND OR v_used >= v_capacity THEN
    RETURN QUERY SELECT 'no_capacity'::text, NULL::uuid, NULL::timestamptz, v_line, c.channel, c.status,
                        NULL::uuid, NULL::uuid;
    RETURN;
  END IF;

  IF o.id IS NOT NULL THEN
    PERFORM tether_end_offer(o.id, 'revoked', 'supervisor_assigned', false);
  END IF;
  UPDATE contacts x SET status = 'offered', offered_agent_id = p_agent, offered_at = now(),
         routing_trace = x.routing_trace || tether_trace('offered to ' || p_agent || ': ' || p_trace)
   WHERE x.id = p_contact;
  UPDATE agent_slots s SET used = s.used + 1 WHERE s.agent_id = p_agent AND s.channel = c.channel;
  INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at)
  VALUES (p_contact, p_agent, v_line, c.channel, 'pending', 'supervisor', p_trace,
          clock_timestamp(), clock_timestamp() + make_interval(secs => p_timeout_seconds))
  RETURNING offers.id, offers.expires_at INTO v_offer, v_expires;

  RETURN QUERY SELECT 'offered'::text, v_offer, v_expires, v_line, c.channel, 'offered'::text, o.id, o.agent_id;
END
$fn$;
