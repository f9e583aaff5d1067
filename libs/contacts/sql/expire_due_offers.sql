-- tether_expire_due_offers(p_limit): every pending offer whose expires_at has passed (earliest first, at most
-- p_limit), each expired by tether_expire_offer; run by every instance's expiry sweep (OfferExpiryClock). Offers
-- found due but expired (or accepted) meanwhile by someone else are skipped.
--
-- Outcome: one row per offer this call expired, as tether_expire_offer returns it.
-- Locks: per offer, as tether_expire_offer: contact row, offer, slot, presence; the candidates are read unlocked
-- (through the partial index offers_pending_expiry) and re-checked under the locks.

CREATE OR REPLACE FUNCTION tether_expire_due_offers(p_limit int)
RETURNS TABLE (offer_id uuid, contact_id uuid, agent_id uuid, line text, set_away boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_offer uuid;
BEGIN
  FOR v_offer IN
    SELECT o.id FROM offers o WHERE o.state = 'pending' AND o.expires_at <= now() ORDER BY o.expires_at LIMIT p_limit
  LOOP
    RETURN QUERY SELECT * FROM tether_expire_offer(v_offer, false);
  END LOOP;
END
$fn$;
