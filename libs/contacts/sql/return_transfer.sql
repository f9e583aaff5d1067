-- tether_return_transfer(p_transfer, p_reason, p_trace): a pending transfer nobody could take comes back to the
-- agent who made it, never dropping the caller (the routing pass: the target agent cannot take it; the
-- 'transfer.timeout' job: nobody accepted in time). A pending offer of the contact is revoked first (its slot freed).
--   warm: the contact is connected to the transferring agent again, on its former line, as before the transfer;
--   cold: the contact waits on its former line again with the transferring agent as its last agent (now), so the
--         next pass offers it to them first (sticky, with the line's wait), and to anyone eligible after that.
-- Either way its exclusions are those from before the transfer.
--
-- Outcomes (outcome, contact_id, from_agent_id, mode, line, revoked_offer_id, revoked_agent_id):
--   'returned'  as above; line is the former line;
--   'gone'      the transfer is no longer pending (accepted, returned or cancelled meanwhile): nothing written.
-- Locks: contact row FOR UPDATE (the same first lock as every transition), then the transfer, the offer, the slot.

CREATE OR REPLACE FUNCTION tether_return_transfer(p_transfer uuid, p_reason text, p_trace text)
RETURNS TABLE (outcome text, contact_id uuid, from_agent_id uuid, mode text, line text, revoked_offer_id uuid,
               revoked_agent_id uuid)
LANGUAGE plpgsql AS $fn$
DECLARE
  t transfers%ROWTYPE;
  c contacts%ROWTYPE;
  v_offer uuid;
  v_offer_agent uuid;
BEGIN
  SELECT * INTO t FROM transfers y WHERE y.id = p_transfer;
  IF t.id IS NULL THEN
    RETURN QUERY SELECT 'gone'::text, NULL::uuid, NULL::uuid, NULL::text, NULL::text, NULL::uuid, NULL::uuid;
    RETURN;
  END IF;
  SELECT * INTO c FROM contacts x WHERE x.id = t.contact_id FOR UPDATE;
  SELECT * INTO t FROM transfers y WHERE y.id = p_transfer FOR UPDATE;
  IF t.state <> 'pending' OR c.transfer_id IS DISTINCT FROM t.id OR c.status NOT IN ('queued', 'offered') THEN
    RETURN QUERY SELECT 'gone'::text, t.contact_id, t.from_agent_id, t.mode, t.from_line, NULL::uuid, NULL::uuid;
    RETURN;
  END IF;
  IF c.status = 'offered' THEN
    UPDATE offers o SET state = 'revoked', end_reason = 'transfer_returned', resolved_at = now()
     WHERE o.contact_id = c.id AND o.state = 'pending' RETURNING o.id, o.agent_id INTO v_offer, v_offer_agent;
    IF v_offer IS NOT NULL THEN
      UPDATE agent_slots s SET used = greatest(s.used - 1, 0) WHERE s.agent_id = v_offer_agent AND s.channel = c.channel;
    END IF;
  END IF;
  UPDATE transfers y SET state = 'returned', return_reason = p_reason, resolved_at = now() WHERE y.id = t.id;
  IF t.mode = 'warm' THEN
    UPDATE contacts x SET status = 'connected', transfer_id = NULL, offered_agent_id = NULL,
           excluded_agent_ids = t.excluded_before, routing_trace = x.routing_trace || tether_trace(p_trace)
     WHERE x.id = c.id;
    -- back on its agent's desk: a live accepted offer again (one per contact)
    UPDATE offers o SET state = 'accepted', end_reason = NULL
     WHERE o.id = (SELECT o2.id FROM offers o2 WHERE o2.contact_id = c.id AND o2.state = 'transferred'
                      AND o2.agent_id = t.from_agent_id ORDER BY o2.created_at DESC LIMIT 1);
  ELSE
    UPDATE contacts x SET status = 'queued', transfer_id = NULL, offered_agent_id = NULL,
           excluded_agent_ids = array_remove(t.excluded_before, t.from_agent_id),
           sticky_agent_id = t.from_agent_id, last_agent_at = now(),
           routing_trace = x.routing_trace || tether_trace(p_trace)
     WHERE x.id = c.id;
  END IF;
  RETURN QUERY SELECT 'returned'::text, c.id, t.from_agent_id, t.mode, t.from_line, v_offer, v_offer_agent;
END
$fn$;
