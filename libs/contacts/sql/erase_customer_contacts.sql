-- tether_erase_customer_contacts(p_customer, p_into): erases the personal data on every contact of a customer who
-- asked to be forgotten (CustomerPrivacyService.erase, libs/customers, in its transaction) and moves the contacts to
-- p_into, the customer's anonymous tombstone. Personal data: the caller's number (from_address), the number called
-- (to_address), what the IVR collected (ivr: digits, intent, language), the agent's notes and the texts and
-- attachments of the contacts' messages; all nulled, and
-- erased_at set (the CHECK contacts_erased_holds_no_personal_data keeps them null). What stays are the figures: line,
-- channel, status, times, resolution, agent, the routing trace (ids and skill names only, never a number or a note)
-- and the platform's call id (so a late duplicate of the call's webhook stays a duplicate instead of creating the
-- contact again).
--
-- Nothing is erased while a contact of the customer is still live (queued, offered, connected, or ended with the
-- agent's work open: its notes are still to come): erasing under an agent's hands would be undone by the completion.
--
-- Outcome: one row (live, erased): live > 0 (and erased = 0) when refused for live contacts; else live = 0 and erased
-- the number of contacts erased.
-- Locks: every contact row of the customer (FOR UPDATE, in id order, like any contact transition's first lock); the
-- caller holds the customer's row (FOR UPDATE) first, so an intake for this customer that inserted its contact
-- before commits first and is erased too, and one that had not yet inserted it fails its foreign key once the
-- customer row is gone.

CREATE OR REPLACE FUNCTION tether_erase_customer_contacts(p_customer uuid, p_into uuid)
RETURNS TABLE (live int, erased int) LANGUAGE plpgsql AS $fn$
DECLARE
  v_live int;
  v_erased int;
BEGIN
  PERFORM 1 FROM contacts c WHERE c.customer_id = p_customer ORDER BY c.id FOR UPDATE;
  SELECT count(*)::int INTO v_live FROM contacts c
   WHERE c.customer_id = p_customer AND (c.status <> 'ended' OR c.work_open);
  IF v_live > 0 THEN
    RETURN QUERY SELECT v_live, 0;
    RETURN;
  END IF;
  -- what they wrote and attached on messaging channels goes too
  UPDATE messages m SET text = NULL, attachments = '[]'::jsonb
    FROM contacts c WHERE m.contact_id = c.id AND c.customer_id = p_customer;
  UPDATE contacts c SET customer_id = p_into, from_address = NULL, to_address = NULL, ivr = NULL, notes = NULL,
         erased_at = coalesce(c.erased_at, now())
   WHERE c.customer_id = p_customer;
  GET DIAGNOSTICS v_erased = ROW_COUNT;
  RETURN QUERY SELECT 0, v_erased;
END
$fn$;
