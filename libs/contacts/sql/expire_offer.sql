-- tether_expire_offer(p_offer, p_force): expires one offer if it is still pending and due (with p_force, due or not;
-- the sweep, tether_expire_due_offers, never forces). The offer ends as 'expired', the contact goes back to the
-- queue with the agent excluded, the slot is freed, and the agent, evidently not at their desk, is set away if they
-- were available.
--
-- Outcome: one row (offer_id, contact_id, agent_id, line, set_away) when this call expired the offer; set_away says
-- whether the agent's presence changed. No row when the offer does not exist, is no longer pending, or is not due
-- yet: so a second sweep (another instance) cannot double-apply an expiry.
-- Locks: contact row, then offer (tether_lock_offer), then the agent's slot, then the agent's presence.

CREATE OR REPLACE FUNCTION tether_expire_offer(p_offer uuid, p_force boolean)
RETURNS TABLE (offer_id uuid, contact_id uuid, agent_id uuid, line text, set_away boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  o offers%ROWTYPE;
BEGIN
  SELECT * INTO o FROM tether_lock_offer(p_offer);
  IF o.id IS NULL OR o.state <> 'pending' OR (NOT p_force AND o.expires_at > now()) THEN RETURN; END IF;
  PERFORM tether_end_offer(p_offer, 'expired', 'expired', true);
  UPDATE agent_presence p SET state = 'away', state_since = now() WHERE p.agent_id = o.agent_id AND p.state = 'available';
  RETURN QUERY SELECT o.id, o.contact_id, o.agent_id, o.line, FOUND;
END
$fn$;
