-- tether_receive_message(p_line, p_channel, p_conversation, p_message_id, p_from_kind, p_from_value, p_text,
-- p_attachments, p_priority, p_skills, p_rules_version, p_across_channels, p_trace): a message of a conversation on
-- a messaging channel (chat, email, messenger, social) reached a line (ContactMessagingService.receive).
--
-- The conversation's live contact (not ended) gets the message appended (seq = the contact's next); without one,
-- the first message opens a contact, queued like a call: the customer identified by the sender's identity
-- (p_from_kind 'phone' | 'email' | 'handle'; a provisional customer for a new one), their last agent on this line
-- (of this channel only unless p_across_channels) and their open case on the line recorded as for a call
-- (tether_receive_call); its call id is `<conversation>#<n>`, n counting the conversation's contacts on the line.
--
-- Outcomes (outcome, contact_id, message_id, seq, status, agent_id, customer_id, known):
--   'created'      a new contact, queued, with this message first;
--   'appended'     the message joined the live contact (status and holder as they are now);
--   'duplicate'    this message id was received before on this line and channel: its contact, nothing written;
--   'stale_rules'  p_rules_version is not the line's: nothing written (the caller reloads the rules and retries).
-- Locks: the conversation's advisory lock (tether_lock_call with the channel and conversation id), then the live
-- contact's row: two first messages of one conversation make one contact, messages of one contact get distinct seqs.

CREATE OR REPLACE FUNCTION tether_receive_message(
  p_line text, p_channel text, p_conversation text, p_message_id text, p_from_kind text, p_from_value text,
  p_text text, p_attachments jsonb, p_priority int, p_skills jsonb, p_rules_version int, p_across_channels boolean,
  p_trace text
) RETURNS TABLE (outcome text, contact_id uuid, message_id uuid, seq int, status text, agent_id uuid,
                 customer_id uuid, known boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_version int;
  c contacts%ROWTYPE;
  v_customer uuid;
  v_known boolean;
  v_created boolean := false;
  v_last uuid;
  v_last_at timestamptz;
  v_case uuid;
  v_count int;
  v_message uuid;
  v_seq int;
BEGIN
  SELECT lr.version INTO v_version FROM line_routing lr WHERE lr.line = p_line;
  IF coalesce(v_version, 0) <> p_rules_version THEN
    RETURN QUERY SELECT 'stale_rules'::text, NULL::uuid, NULL::uuid, NULL::int, NULL::text, NULL::uuid, NULL::uuid,
                        NULL::boolean;
    RETURN;
  END IF;
  PERFORM tether_lock_call(p_line, p_channel, p_conversation);

  SELECT m.contact_id, m.id, m.seq INTO c.id, v_message, v_seq FROM messages m
   WHERE m.line = p_line AND m.channel = p_channel AND m.external_id = p_message_id AND m.direction = 'in';
  IF FOUND THEN
    RETURN QUERY SELECT 'duplicate'::text, x.id, v_message, v_seq, x.status, x.agent_id, x.customer_id, cu.known
      FROM contacts x JOIN customers cu ON cu.id = x.customer_id WHERE x.id = c.id;
    RETURN;
  END IF;

  SELECT * INTO c FROM contacts x
   WHERE x.line = p_line AND x.channel = p_channel AND x.conversation_id = p_conversation AND x.status <> 'ended'
   FOR UPDATE;
  IF c.id IS NOT NULL THEN
    SELECT coalesce(max(m.seq), 0) + 1 INTO v_seq FROM messages m WHERE m.contact_id = c.id;
    INSERT INTO messages (contact_id, line, channel, direction, external_id, seq, text, attachments)
    VALUES (c.id, p_line, p_channel, 'in', p_message_id, v_seq, p_text, p_attachments)
    RETURNING messages.id INTO v_message;
    UPDATE contacts x SET last_message_at = now() WHERE x.id = c.id;
    RETURN QUERY SELECT 'appended'::text, c.id, v_message, v_seq, c.status, c.agent_id, c.customer_id, cu.known
      FROM customers cu WHERE cu.id = c.customer_id;
    RETURN;
  END IF;

  -- a new contact: who writes (tether_identify_customer, shared with tether_receive_call)
  SELECT i.customer_id, i.known, i.created INTO v_customer, v_known, v_created
    FROM tether_identify_customer(p_from_kind, p_from_value) i;
  IF NOT v_created THEN
    SELECT x.agent_id, x.connected_at INTO v_last, v_last_at
      FROM contacts x JOIN agents a ON a.id = x.agent_id AND a.deleted_at IS NULL
     WHERE x.customer_id = v_customer AND x.line = p_line AND x.agent_id IS NOT NULL
       AND (p_across_channels OR x.channel = p_channel)
     ORDER BY x.connected_at DESC LIMIT 1;
    SELECT k.id INTO v_case FROM cases k
     WHERE k.customer_id = v_customer AND k.line = p_line AND k.status IN ('open', 'waiting_on_customer')
     ORDER BY k.updated_at DESC, k.id LIMIT 1;
  END IF;
  SELECT count(*) + 1 INTO v_count FROM contacts x
   WHERE x.line = p_line AND x.channel = p_channel AND x.conversation_id = p_conversation;

  INSERT INTO contacts (external_id, channel, line, customer_id, from_address, priority, required_skills, status,
                        sticky_agent_id, last_agent_at, routing_trace, case_id, conversation_id, last_message_at)
  VALUES (p_conversation || '#' || v_count, p_channel, p_line, v_customer, p_from_value, p_priority, p_skills,
          'queued', v_last, v_last_at, tether_trace(p_trace), v_case, p_conversation, now())
  RETURNING * INTO c;
  INSERT INTO messages (contact_id, line, channel, direction, external_id, seq, text, attachments)
  VALUES (c.id, p_line, p_channel, 'in', p_message_id, 1, p_text, p_attachments)
  RETURNING messages.id INTO v_message;
  RETURN QUERY SELECT 'created'::text, c.id, v_message, 1, 'queued'::text, NULL::uuid, v_customer, v_known;
END
$fn$;
