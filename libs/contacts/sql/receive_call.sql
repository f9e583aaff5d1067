-- tether_receive_call(...): a call reaches a line (ContactLifecycleService.receiveCall). Identifies the caller by
-- phone (a provisional customer, known = false, for a new number or no number), records the customer's last agent on
-- this line and when that contact was connected (facts: whether they make the agent preferred, within the line's
-- horizon, is RoutingEngine's decision at each pass, `preferredAgentFor`), and inserts the contact, queued, with its
-- first trace entry (p_trace, written by the caller), linked to the customer's open case on this line if any and to
-- the incident that affects them (tether_incident_affecting: its announcement is the contact's). Holds
-- for a preferred agent are written by the routing pass that decides them (tether_commit_offers), not here.
--
-- A call id is the provider's id on one line: (line, channel, external_id) is unique (contacts_call_unique), and the
-- same call id on another line is another call.
--
-- Outcomes (outcome, contact_id), declared in TypeScript as SQL_OUTCOMES.tether_receive_call (libs/contacts):
--   'created'      the contact was inserted, queued;
--   'hung_up'      the caller's hang-up overtook this webhook (tether_remember_hangup left an unexpired tombstone for
--                  this call id on this line): the contact is inserted already ended (`abandoned`, trace p_trace then
--                  p_hung_up_trace), the tombstone is consumed, nothing is queued or offered;
--   'duplicate'    a contact with this call id (voice channel) exists on this line: its id, nothing written;
--   'stale_rules'  p_rules_version is not the line's line_routing.version: the caller computed skills and priority
--                  from other rules; nothing is written (contact_id NULL). The caller reloads and calls again.
-- Locks: the call's advisory lock (tether_lock_call, to the end of the caller's transaction), taken before the call
-- is looked for: two deliveries of one call are serialised (the second finds the first's contact, 'duplicate'), and
-- so are a call and its hang-up (tether_remember_hangup takes the same lock), so the two end in exactly one of the
-- two orders. No lock on existing rows. Two first calls from one new number meet on customer_identities' primary key
-- (one identity wins, the loser drops its customer and reads the winner's). contacts_call_unique stays the last word
-- (ON CONFLICT) for a writer that does not take the call's lock.
--
-- History: a queued arrival's 'queued' event (contact_events) is written here, the row tether_contact_events_contacts
-- would write, with `tether.history` set around the insert so the trigger stands aside (contact_events_contacts.sql);
-- a call inserted already ended (its hang-up came first) is left to the trigger ('queued' then 'abandoned').
--
-- Until the engine took sticky routing over, the function took the line's sticky settings (enabled, horizon, wait)
-- and wrote the trace itself; until hang-ups could overtake calls it had no p_hung_up_trace: both signatures are
-- dropped here.
DROP FUNCTION IF EXISTS tether_receive_call(text, text, text, text, text, jsonb, int, jsonb, int, boolean, int, int);
DROP FUNCTION IF EXISTS tether_receive_call(text, text, text, text, text, jsonb, int, jsonb, int, text);

CREATE OR REPLACE FUNCTION tether_receive_call(
  p_line text, p_call_id text, p_from text, p_phone text, p_to text, p_ivr jsonb, p_priority int,
  p_skills jsonb, p_rules_version int, p_trace text, p_hung_up_trace text
) RETURNS TABLE (outcome text, contact_id uuid) LANGUAGE plpgsql AS $fn$
DECLARE
  v_version int;
  v_customer uuid;
  v_known boolean;
  v_created boolean := false;
  v_last uuid;
  v_last_at timestamptz;
  v_contact uuid;
  v_hung_up boolean;
  v_case uuid;
  v_incident uuid;
  v_announcement text;
  v_enqueued_at timestamptz;
BEGIN
  SELECT lr.version INTO v_version FROM line_routing lr WHERE lr.line = p_line;
  IF coalesce(v_version, 0) <> p_rules_version THEN
    RETURN QUERY SELECT 'stale_rules'::text, NULL::uuid;
    RETURN;
  END IF;

  PERFORM tether_lock_call(p_line, 'voice', p_call_id);
  SELECT c.id INTO v_contact FROM contacts c
   WHERE c.line = p_line AND c.channel = 'voice' AND c.external_id = p_call_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'duplicate'::text, v_contact;
    RETURN;
  END IF;
  -- a hang-up that came first: consumed here (the contact answers later hang-ups); an expired one is only dropped
  DELETE FROM call_tombstones t WHERE t.line = p_line AND t.channel = 'voice' AND t.external_id = p_call_id
    RETURNING t.expires_at > now() INTO v_hung_up;
  v_hung_up := coalesce(v_hung_up, false);

  -- who calls (tether_identify_customer, shared with tether_receive_message); a withheld number: a new customer
  SELECT i.customer_id, i.known, i.created INTO v_customer, v_known, v_created
    FROM tether_identify_customer('phone', p_phone) i;

  -- a new customer has no history; an agent since removed is no relation any more (the one before them may be)
  IF NOT v_created AND NOT v_hung_up THEN
    SELECT c.agent_id, c.connected_at INTO v_last, v_last_at
      FROM contacts c JOIN agents a ON a.id = c.agent_id AND a.deleted_at IS NULL
     WHERE c.customer_id = v_customer AND c.line = p_line AND c.agent_id IS NOT NULL
     ORDER BY c.connected_at DESC LIMIT 1;
    -- the customer's open case on this line (the newest): its owner is who the engine prefers, its story travels
    -- with the offer
    SELECT k.id INTO v_case FROM cases k
     WHERE k.customer_id = v_customer AND k.line = p_line AND k.status IN ('open', 'waiting_on_customer')
     ORDER BY k.updated_at DESC, k.id LIMIT 1;
  END IF;

  -- an incident that affects this caller: they hear its announcement before queueing, the contact is linked to it
  SELECT a.incident_id, a.announcement INTO v_incident, v_announcement
    FROM tether_incident_affecting(v_customer, p_phone, p_line) a;

  IF NOT v_hung_up THEN
    PERFORM set_config('tether.history', 'written', true);
  END IF;
  INSERT INTO contacts (external_id, channel, line, customer_id, from_address, to_address, ivr, priority,
                        required_skills, status, end_reason, ended_at, sticky_agent_id, last_agent_at, routing_trace,
                        case_id, incident_id, announcement)
  VALUES (p_call_id, 'voice', p_line, v_customer, p_from, p_to, p_ivr, p_priority, p_skills,
          CASE WHEN v_hung_up THEN 'ended' ELSE 'queued' END,
          CASE WHEN v_hung_up THEN 'abandoned' END,
          CASE WHEN v_hung_up THEN now() END,
          v_last, v_last_at,
          CASE WHEN v_hung_up THEN tether_trace(p_trace) || tether_trace(p_hung_up_trace) ELSE tether_trace(p_trace) END,
          v_case, v_incident, v_announcement)
  ON CONFLICT ON CONSTRAINT contacts_call_unique DO NOTHING
  RETURNING contacts.id, contacts.enqueued_at INTO v_contact, v_enqueued_at;
  IF NOT v_hung_up THEN
    PERFORM set_config('tether.history', '', true);
  END IF;

  IF v_contact IS NULL THEN
    -- a duplicate (perhaps concurrent, now committed): drop the provisional customer made for it
    IF v_created THEN
      DELETE FROM customers cu WHERE cu.id = v_customer
        AND NOT EXISTS (SELECT 1 FROM contacts WHERE contacts.customer_id = cu.id);
    END IF;
    RETURN QUERY SELECT 'duplicate'::text, c.id
      FROM contacts c WHERE c.line = p_line AND c.channel = 'voice' AND c.external_id = p_call_id;
    RETURN;
  END IF;
  IF v_hung_up THEN
    RETURN QUERY SELECT 'hung_up'::text, v_contact;
    RETURN;
  END IF;
  INSERT INTO contact_events (at, kind, contact_id, line, channel, customer_id, case_id, incident_id)
  VALUES (v_enqueued_at, 'queued', v_contact, p_line, 'voice', v_customer, v_case, v_incident);
  RETURN QUERY SELECT 'created'::text, v_contact;
END
$fn$;
