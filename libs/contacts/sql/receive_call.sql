-- tether_receive_call(...): a call reaches a line (ContactLifecycleService.receiveCall). Identifies the caller by
-- phone (a provisional customer, known = false, for a new number or no number), finds their last agent on this
-- line within p_horizon_days (sticky routing), inserts the contact (queued, with its first trace entry) and, when
-- there is a last agent and p_sticky_wait_seconds > 0, schedules the end of the sticky wait
-- ('routing.sticky-wait', dedupe key `<contact>@<enqueued_at ms + wait>`, through tether_schedule_job).
--
-- Outcomes (outcome, contact_id):
--   'created'      the contact was inserted;
--   'duplicate'    a contact with this call id (voice channel) exists, perhaps inserted concurrently: its id; the
--                  provisional customer made for this call, if any, is deleted again;
--   'stale_rules'  p_rules_version is not the line's line_routing.version: the caller computed skills and priority
--                  from other rules; nothing is written (contact_id NULL). The caller reloads and calls again.
-- Locks: no lock on existing rows. Unique indexes decide the races, not a read-then-write: two first calls from one
-- new number meet on customer_identities' primary key (one identity wins, the loser drops its customer and reads the
-- winner's); two deliveries of one call meet on contacts_external_unique (the second waits for the first to commit,
-- then returns 'duplicate').

CREATE OR REPLACE FUNCTION tether_receive_call(
  p_line text, p_call_id text, p_from text, p_phone text, p_to text, p_ivr jsonb, p_priority int,
  p_skills jsonb, p_rules_version int, p_sticky_enabled boolean, p_horizon_days int, p_sticky_wait_seconds int
) RETURNS TABLE (outcome text, contact_id uuid) LANGUAGE plpgsql AS $fn$
DECLARE
  v_version int;
  v_customer uuid;
  v_known boolean;
  v_created boolean := false;
  v_sticky uuid;
  v_contact uuid;
  v_enqueued timestamptz;
  v_until_ms bigint;
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

  IF p_sticky_enabled AND NOT v_created THEN
    SELECT c.agent_id INTO v_sticky
      FROM contacts c JOIN agents a ON a.id = c.agent_id AND a.deleted_at IS NULL
     WHERE c.customer_id = v_customer AND c.line = p_line AND c.agent_id IS NOT NULL
       AND c.connected_at > now() - make_interval(days => p_horizon_days)
     ORDER BY c.connected_at DESC LIMIT 1;
  END IF;

  INSERT INTO contacts (external_id, channel, line, customer_id, from_address, to_address, ivr, priority,
                        required_skills, status, sticky_agent_id, sticky_cause, routing_trace)
  VALUES (p_call_id, 'voice', p_line, v_customer, p_from, p_to, p_ivr, p_priority, p_skills, 'queued', v_sticky,
          CASE WHEN v_sticky IS NULL THEN NULL ELSE 'last_agent' END,
          tether_trace(CASE WHEN v_sticky IS NOT NULL
            THEN 'arrived; customer last dealt with agent ' || v_sticky || ' on ' || p_line || ': offered to them first'
            ELSE 'arrived; ' || CASE WHEN v_known THEN 'known' ELSE 'unknown' END || ' customer, no recent agent on ' || p_line
          END))
  ON CONFLICT ON CONSTRAINT contacts_external_unique DO NOTHING
  RETURNING contacts.id, contacts.enqueued_at INTO v_contact, v_enqueued;

  IF v_contact IS NULL THEN
    -- a duplicate (perhaps concurrent, now committed): drop the provisional customer made for it
    IF v_created THEN
      DELETE FROM customers cu WHERE cu.id = v_customer
        AND NOT EXISTS (SELECT 1 FROM contacts WHERE contacts.customer_id = cu.id);
    END IF;
    RETURN QUERY SELECT 'duplicate'::text, c.id FROM contacts c WHERE c.channel = 'voice' AND c.external_id = p_call_id;
    RETURN;
  END IF;

  IF v_sticky IS NOT NULL AND p_sticky_wait_seconds > 0 THEN
    v_until_ms := tether_epoch_ms(v_enqueued) + p_sticky_wait_seconds * 1000;
    PERFORM tether_schedule_job('routing.sticky-wait', v_contact || '@' || v_until_ms,
                                jsonb_build_object('line', p_line), to_timestamp(v_until_ms / 1000.0));
  END IF;
  RETURN QUERY SELECT 'created'::text, v_contact;
END
$fn$;
