-- tether_receive_call(...): a call reaches a line (ContactLifecycleService.receiveCall). Identifies the caller by
-- phone (a provisional customer, known = false, for a new number or no number), records the customer's last agent on
-- this line and when that contact was connected (facts: whether they make the agent preferred, within the line's
-- horizon, is RoutingEngine's decision at each pass, `preferredAgentFor`), and inserts the contact, queued, with its
-- first trace entry (p_trace, written by the caller). Holds for a preferred agent are written by the routing pass
-- that decides them (tether_commit_offers), not here.
--
-- Outcomes (outcome, contact_id), declared in TypeScript as SQL_OUTCOMES.tether_receive_call (libs/contacts):
--   'created'      the contact was inserted;
--   'duplicate'    a contact with this call id (voice channel) exists, perhaps inserted concurrently: its id; the
--                  provisional customer made for this call, if any, is deleted again;
--   'stale_rules'  p_rules_version is not the line's line_routing.version: the caller computed skills and priority
--                  from other rules; nothing is written (contact_id NULL). The caller reloads and calls again.
-- Locks: no lock on existing rows. Unique indexes decide the races, not a read-then-write: two first calls from one
-- new number meet on customer_identities' primary key (one identity wins, the loser drops its customer and reads the
-- winner's); two deliveries of one call meet on contacts_external_unique (the second waits for the first to commit,
-- then returns 'duplicate').
--
-- Until the engine took sticky routing over, the function took the line's sticky settings (enabled, horizon, wait)
-- and wrote the trace itself: that signature is dropped here.
DROP FUNCTION IF EXISTS tether_receive_call(text, text, text, text, text, jsonb, int, jsonb, int, boolean, int, int);

CREATE OR REPLACE FUNCTION tether_receive_call(
  p_line text, p_call_id text, p_from text, p_phone text, p_to text, p_ivr jsonb, p_priority int,
  p_skills jsonb, p_rules_version int, p_trace text
) RETURNS TABLE (outcome text, contact_id uuid) LANGUAGE plpgsql AS $fn$
DECLARE
  v_version int;
  v_customer uuid;
  v_known boolean;
  v_created boolean := false;
  v_last uuid;
  v_last_at timestamptz;
  v_contact uuid;
BEGIN
  SELECT lr.version INTO v_version FROM line_routing lr WHERE lr.line = p_line;
  IF coalesce(v_version, 0) <> p_rules_version THEN
    RETURN QUERY SELECT 'stale_rules'::text, NULL::uuid;
    RETURN;
  END IF;

  IF p_phone IS NULL THEN
    INSERT INTO customers (known) VALUES (false) RETURNING customers.id INTO v_customer;
    v_known := false;
    v_created := true;
  ELSE
    SELECT c.id, c.known INTO v_customer, v_known
      FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'phone' AND i.value = p_phone;
    IF NOT FOUND THEN
      -- two first calls from the same new number at once: the identity's primary key lets exactly one win
      INSERT INTO customers (known) VALUES (false) RETURNING customers.id INTO v_customer;
      INSERT INTO customer_identities (kind, value, customer_id) VALUES ('phone', p_phone, v_customer)
        ON CONFLICT (kind, value) DO NOTHING;
      IF FOUND THEN
        v_known := false;
        v_created := true;
      ELSE
        DELETE FROM customers WHERE customers.id = v_customer;
        SELECT c.id, c.known INTO v_customer, v_known
          FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'phone' AND i.value = p_phone;
      END IF;
    END IF;
  END IF;

  -- a new customer has no history; an agent since removed is no relation any more (the one before them may be)
  IF NOT v_created THEN
    SELECT c.agent_id, c.connected_at INTO v_last, v_last_at
      FROM contacts c JOIN agents a ON a.id = c.agent_id AND a.deleted_at IS NULL
     WHERE c.customer_id = v_customer AND c.line = p_line AND c.agent_id IS NOT NULL
     ORDER BY c.connected_at DESC LIMIT 1;
  END IF;

  INSERT INTO contacts (external_id, channel, line, customer_id, from_address, to_address, ivr, priority,
                        required_skills, status, sticky_agent_id, last_agent_at, routing_trace)
  VALUES (p_call_id, 'voice', p_line, v_customer, p_from, p_to, p_ivr, p_priority, p_skills, 'queued', v_last,
          v_last_at, tether_trace(p_trace))
  ON CONFLICT ON CONSTRAINT contacts_external_unique DO NOTHING
  RETURNING contacts.id INTO v_contact;

  IF v_contact IS NULL THEN
    -- a duplicate (perhaps concurrent, now committed): drop the provisional customer made for it
    IF v_created THEN
      DELETE FROM customers cu WHERE cu.id = v_customer
        AND NOT EXISTS (SELECT 1 FROM contacts WHERE contacts.customer_id = cu.id);
    END IF;
    RETURN QUERY SELECT 'duplicate'::text, c.id FROM contacts c WHERE c.channel = 'voice' AND c.external_id = p_call_id;
    RETURN;
  END IF;
  RETURN QUERY SELECT 'created'::text, v_contact;
END
$fn$;
