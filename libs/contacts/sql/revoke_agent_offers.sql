-- tether_revoke_agent_offers(p_agent, p_reason): revokes every pending offer of an agent (disconnected, signed off,
-- removed): each ends as 'revoked' with end_reason p_reason and its contact goes back to the queue. Not the agent's
-- choice, so the contact may come back to them later (not excluded).
--
-- Outcome: one row (offer_id, contact_id, line) per offer this call revoked; none when there was nothing pending.
-- Locks: per offer, contact row, then offer (tether_lock_offer), then the agent's slot; an offer that stopped being
-- pending before its locks were held is skipped.

CREATE OR REPLACE FUNCTION tether_revoke_agent_offers(p_agent uuid, p_reason text)
RETURNS TABLE (offer_id uuid, contact_id uuid, line text) LANGUAGE plpgsql AS $fn$
DECLARE
  v_offer uuid;
  o offers%ROWTYPE;
BEGIN
  FOR v_offer IN SELECT x.id FROM offers x WHERE x.agent_id = p_agent AND x.state = 'pending' LOOP
    SELECT * INTO o FROM tether_lock_offer(v_offer);
    CONTINUE WHEN o.id IS NULL OR o.state <> 'pending';
    PERFORM tether_end_offer(v_offer, 'revoked', p_reason, false);
    RETURN QUERY SELECT o.id, o.contact_id, o.line;
  END LOOP;
END
$fn$;
