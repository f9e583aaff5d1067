-- tether_end_offer(p_offer, p_state, p_reason, p_exclude): ends a pending offer as p_state ('rejected', 'expired',
-- 'revoked') with end_reason p_reason: the contact goes back to the queue (if it is still offered to this agent; with
-- the agent added to excluded_agent_ids when p_exclude, i.e. when declining was the agent's doing), the agent's slot
-- on the channel is freed (never below 0). A step of reject, expire and revoke, not called by TypeScript.
--
-- Outcome: none (void).
-- Locks: the caller has locked the contact row, then the offer (tether_lock_offer); this then updates the offer, the
-- contact and the agent's slot, in that order.

CREATE OR REPLACE FUNCTION tether_end_offer(p_offer uuid, p_state text, p_reason text, p_exclude boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  o offers%ROWTYPE;
BEGIN
  UPDATE offers SET state = p_state, end_reason = p_reason, resolved_at = now()
   WHERE offers.id = p_offer RETURNING * INTO o;
  UPDATE contacts c SET status = 'queued', offered_agent_id = NULL,
         excluded_agent_ids = CASE WHEN p_exclude THEN array_append(c.excluded_agent_ids, o.agent_id) ELSE c.excluded_agent_ids END,
         routing_trace = c.routing_trace || tether_trace('offer to ' || o.agent_id || ' ' || p_state || ' (' || p_reason || ')')
   WHERE c.id = o.contact_id AND c.status = 'offered' AND c.offered_agent_id = o.agent_id;
  UPDATE agent_slots s SET used = greatest(s.used - 1, 0) WHERE s.agent_id = o.agent_id AND s.channel = o.channel;
END
$fn$;
