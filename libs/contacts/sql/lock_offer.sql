-- tether_lock_offer(p_offer): locks an offer the way every contact transition does, contact row first, then the
-- offer, and returns the offer as it is once both are held. The first step of accept, reject, expire and revoke.
--
-- Outcome: the offer row, or no row when the offer does not exist.
-- Locks: contacts row FOR UPDATE, then offers row FOR UPDATE (the offer's contact_id is read unlocked first: it
-- never changes).

CREATE OR REPLACE FUNCTION tether_lock_offer(p_offer uuid) RETURNS SETOF offers LANGUAGE plpgsql AS $fn$
DECLARE
  v_contact uuid;
BEGIN
  SELECT o.contact_id INTO v_contact FROM offers o WHERE o.id = p_offer;
  IF NOT FOUND THEN RETURN; END IF;
  PERFORM 1 FROM contacts c WHERE c.id = v_contact FOR UPDATE;
  RETURN QUERY SELECT * FROM offers o WHERE o.id = p_offer FOR UPDATE;
END
$fn$;
