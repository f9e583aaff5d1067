-- tether_reject_offer(p_agent, p_offer, p_reason): an agent rejects an offer (OfferService.reject). The offer ends
-- as 'rejected' with end_reason p_reason, the contact goes back to the queue with this agent excluded from it, and
-- the agent's slot is freed (tether_end_offer).
--
-- Outcomes (outcome, contact_id, line, state, end_reason):
--   'rejected'   done;
--   'not_found'  no such offer, or not this agent's (all other columns NULL);
--   'ended'      no longer pending (accepted, expired, revoked, or rejected before): state and end_reason say how.
-- Locks: contact row, then offer (tether_lock_offer), then the agent's slot.

CREATE OR REPLACE FUNCTION tether_reject_offer(p_agent uuid, p_offer uuid, p_reason text)
RETURNS TABLE (outcome text, contact_id uuid, line text, state text, end_reason text)
LANGUAGE plpgsql AS $fn$
DECLARE
  o offers%ROWTYPE;
BEGIN
  SELECT * INTO o FROM tether_lock_offer(p_offer);
  IF o.id IS NULL OR o.agent_id <> p_agent THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::uuid, NULL::text, NULL::text, NULL::text;
    RETURN;
  END IF;
  IF o.state <> 'pending' THEN
    RETURN QUERY SELECT 'ended'::text, o.contact_id, o.line, o.state, o.end_reason;
    RETURN;
  END IF;
  PERFORM tether_end_offer(p_offer, 'rejected', p_reason, true);
  RETURN QUERY SELECT 'rejected'::text, o.contact_id, o.line, 'rejected'::text, p_reason;
END
$fn$;
