-- tether_transfer_contact(p_agent, p_contact, p_kind, p_target_agent, p_target_line, p_mode, p_note, p_trace): the
-- agent connected to a contact hands it on (ContactTransferService.transfer): to an agent (p_kind 'agent', on the
-- contact's line), a line (p_kind 'line', p_target_line) or the owner of the contact's open case (p_kind
-- 'case_owner', on the case's line). The contact keeps its id and goes back to `queued`, linked to the transfer, and
-- waits on the target line (transfers.target_line: tether_routing_snapshot reads it there) keeping its enqueued_at
-- (so on another line it is ahead of everyone who arrived after it) and its priority. contacts.line stays the line
-- the call arrived on: the platform keeps addressing the call there (GET, hang-up). The transferring agent is
-- excluded from its offers; their accepted offer ends as `transferred`.
--   warm: the agent stays on the contact (work open, slot held) until the target accepts;
--   cold: the agent is released at once (work closed, slot freed, no wrap-up).
-- Targets are checked by the caller (the agent exists and serves that line; the line exists); a line or case-owner
-- transfer gets its timeout job ('transfer.timeout', dedupe key the transfer's id) at p_timeout_at.
--
-- Outcomes (outcome, transfer_id, line):
--   'transferred'    pending; line is the target line;
--   'not_connected'  no such contact, not connected to this agent, or already completed;
--   'pending'        a transfer of this contact is pending already;
--   'no_case_owner'  p_kind 'case_owner' but the contact has no open case with an owner other than this agent.
-- Locks: contact row FOR UPDATE; then the transfer insert (unique pending per contact), the offer, the slot.

CREATE OR REPLACE FUNCTION tether_transfer_contact(
  p_agent uuid, p_contact uuid, p_kind text, p_target_agent uuid, p_target_line text, p_mode text, p_note text,
  p_trace text, p_timeout_at timestamptz
) RETURNS TABLE (outcome text, transfer_id uuid, line text) LANGUAGE plpgsql AS $fn$
DECLARE
  c contacts%ROWTYPE;
  v_line text;
  v_target uuid := p_target_agent;
  v_transfer uuid;
BEGIN
  SELECT * INTO c FROM contacts x WHERE x.id = p_contact FOR UPDATE;
  IF c.transfer_id IS NOT NULL AND c.agent_id = p_agent THEN
    RETURN QUERY SELECT 'pending'::text, c.transfer_id, c.line;
    RETURN;
  END IF;
  IF c.id IS NULL OR c.status <> 'connected' OR c.agent_id IS DISTINCT FROM p_agent OR NOT c.work_open THEN
    RETURN QUERY SELECT 'not_connected'::text, NULL::uuid, NULL::text;
    RETURN;
  END IF;
  IF p_kind = 'case_owner' THEN
    SELECT k.line, k.owner_id INTO v_line, v_target FROM cases k
     WHERE k.id = c.case_id AND k.status IN ('open', 'waiting_on_customer') AND k.owner_id IS NOT NULL
       AND k.owner_id <> p_agent;
    IF v_line IS NULL THEN
      RETURN QUERY SELECT 'no_case_owner'::text, NULL::uuid, NULL::text;
      RETURN;
    END IF;
  ELSIF p_kind = 'line' THEN
    v_line := p_target_line;
  ELSE
    v_line := c.line;
  END IF;

  INSERT INTO transfers (contact_id, from_agent_id, from_line, target_kind, target_agent_id, target_line, mode, note,
                         excluded_before)
  VALUES (c.id, p_agent, c.line, p_kind, v_target, v_line, p_mode, p_note, c.excluded_agent_ids)
  RETURNING transfers.id INTO v_transfer;

  UPDATE offers o SET state = 'transferred', resolved_at = now(), end_reason = 'transferred'
   WHERE o.contact_id = c.id AND o.state = 'accepted';
  UPDATE contacts x SET status = 'queued', transfer_id = v_transfer, offered_agent_id = NULL,
         excluded_agent_ids = CASE WHEN p_agent = ANY (x.excluded_agent_ids) THEN x.excluded_agent_ids
                                   ELSE x.excluded_agent_ids || p_agent END,
         work_open = (p_mode = 'warm'),
         routing_trace = x.routing_trace || tether_trace(p_trace)
   WHERE x.id = c.id;
  IF p_mode = 'cold' THEN
    UPDATE agent_slots s SET used = greatest(s.used - 1, 0) WHERE s.agent_id = p_agent AND s.channel = c.channel;
  END IF;
  IF p_kind <> 'agent' THEN
    PERFORM tether_schedule_job('transfer.timeout', v_transfer::text, jsonb_build_object('transferId', v_transfer),
                                p_timeout_at);
  END IF;
  RETURN QUERY SELECT 'transferred'::text, v_transfer, v_line;
END
$fn$;
