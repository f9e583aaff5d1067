-- tether_complete_contact(p_agent, p_contact, p_resolution, p_notes, p_default_wrap_up_seconds, p_subject, p_case): the
-- agent finished the contact (ContactLifecycleService.complete): resolution and notes recorded, the contact linked to
-- its case (tether_link_case: p_case, else the subject's open case, else the customer's open case on the line, else a
-- new one for `follow_up`/`unresolved`), the contact ended (if the call had not ended already), the agent's slot freed, wrap-up started for the line's wrapUpSeconds (its channel's `channels.<channel>.wrapUpSeconds` when set; read here from
-- line_routing, so a PUT applies at once; p_default_wrap_up_seconds without one), during which the agent gets no
-- offer (idle_since moves to its end). A wrap-up schedules its end ('agent.wrap-up-end', dedupe key
-- `<agent>@<wrap_up_until ms>`, payload the agent's lines, through tether_schedule_job).
--
-- Outcomes (outcome, line, agent_lines, wrap_up_until, case_id, case_outcome, case_owner_id):
--   'completed'          done; wrap_up_until NULL when there is no wrap-up; case_outcome is tether_link_case's
--                        ('opened', 'linked' or 'none'), with the case and its owner;
--   'not_assigned'       no such contact, or not this agent's;
--   'already_completed'  completed before (a repeated completion): line only;
--   'case_not_found'     p_case is not a case of this contact's customer: nothing written;
--   'transfer_pending'   the agent transferred it (warm) and the target has not accepted yet: nothing written.
-- A callback the contact was made for (contacts.callback_id, dialled or bridged) becomes 'completed'.
-- Locks: contact row FOR UPDATE, then its case (tether_link_case), then its callback, then the agent's slot, then the agent's presence.
-- History: the 'ended' (or 'abandoned', for a contact never connected) and 'completed' events (contact_events) are
-- written here, in one insert, the rows tether_contact_events_contacts would write, with `tether.history` set around
-- the contact's update so the trigger stands aside (contact_events_contacts.sql).
--
-- Before cases it took no p_subject and p_case: that signature is dropped here.
DROP FUNCTION IF EXISTS tether_complete_contact(uuid, uuid, text, text, int);

CREATE OR REPLACE FUNCTION tether_complete_contact(
  p_agent uuid, p_contact uuid, p_resolution text, p_notes text, p_default_wrap_up_seconds int,
  p_subject text, p_case uuid
) RETURNS TABLE (outcome text, line text, agent_lines text[], wrap_up_until timestamptz, case_id uuid,
                 case_outcome text, case_owner_id uuid)
LANGUAGE plpgsql AS $fn$
DECLARE
  c contacts%ROWTYPE;
  v_wrap int;
  v_until timestamptz;
  v_lines text[];
  v_case record;
  v_case_now uuid;
  v_ended_at timestamptz;
  v_end_reason text;
BEGIN
  SELECT * INTO c FROM contacts x WHERE x.id = p_contact FOR UPDATE;
  IF c.id IS NULL OR c.agent_id IS DISTINCT FROM p_agent THEN
    RETURN QUERY SELECT 'not_assigned'::text, NULL::text, NULL::text[], NULL::timestamptz, NULL::uuid, NULL::text,
                        NULL::uuid;
    RETURN;
  END IF;
  IF NOT c.work_open THEN
    RETURN QUERY SELECT 'already_completed'::text, c.line, NULL::text[], NULL::timestamptz, NULL::uuid, NULL::text,
                        NULL::uuid;
    RETURN;
  END IF;
  IF c.transfer_id IS NOT NULL THEN
    RETURN QUERY SELECT 'transfer_pending'::text, c.line, NULL::text[], NULL::timestamptz, NULL::uuid, NULL::text,
                        NULL::uuid;
    RETURN;
  END IF;
  SELECT * INTO v_case FROM tether_link_case(p_contact, p_agent, p_resolution, p_subject, p_case) l;
  IF v_case.outcome = 'case_not_found' THEN
    RETURN QUERY SELECT 'case_not_found'::text, c.line, NULL::text[], NULL::timestamptz, NULL::uuid, NULL::text,
                        NULL::uuid;
    RETURN;
  END IF;
  PERFORM set_config('tether.history', 'written', true);
  UPDATE contacts x SET work_open = false, resolution = p_resolution, notes = p_notes, completed_at = now(),
         status = 'ended', ended_at = coalesce(x.ended_at, now()), end_reason = coalesce(x.end_reason, 'completed'),
         routing_trace = x.routing_trace || tether_trace('completed by ' || p_agent || ': ' || p_resolution)
   WHERE x.id = p_contact
  RETURNING x.case_id, x.ended_at, x.end_reason INTO v_case_now, v_ended_at, v_end_reason;
  PERFORM set_config('tether.history', '', true);
  -- the status event when the call was still on (as tether_contact_events_contacts words it), then 'completed'
  INSERT INTO contact_events (at, kind, contact_id, line, channel, agent_id, customer_id, case_id, incident_id, detail)
  SELECT e.at, e.kind, p_contact, c.line, c.channel, e.agent_id, c.customer_id, v_case_now, c.incident_id, e.detail
    FROM (VALUES
      (1, c.status IS DISTINCT FROM 'ended', v_ended_at,
       CASE WHEN c.connected_at IS NULL THEN 'abandoned' ELSE 'ended' END,
       CASE WHEN c.connected_at IS NULL THEN c.offered_agent_id ELSE p_agent END,
       jsonb_strip_nulls(jsonb_build_object('from', c.status, 'reason', v_end_reason))),
      (2, c.completed_at IS NULL, now(), 'completed', p_agent,
       jsonb_strip_nulls(jsonb_build_object('resolution', p_resolution)))
    ) e(n, happened, at, kind, agent_id, detail)
   WHERE e.happened ORDER BY e.n;
  -- a callback made (dialled or bridged) is kept: the promise is done
  UPDATE callbacks y SET state = 'completed', updated_at = now()
   WHERE y.id = c.callback_id AND y.state IN ('dialing', 'connected');
  UPDATE agent_slots s SET used = greatest(s.used - 1, 0) WHERE s.agent_id = p_agent AND s.channel = c.channel;
  -- the channel's own wrap-up on the line (`channels.<channel>.wrapUpSeconds`), else the line's
  SELECT coalesce((lr.rules -> 'channels' -> c.channel ->> 'wrapUpSeconds')::int,
                  (lr.rules ->> 'wrapUpSeconds')::int, p_default_wrap_up_seconds) INTO v_wrap
    FROM line_routing lr WHERE lr.line = c.line;
  v_wrap := coalesce(v_wrap, p_default_wrap_up_seconds);
  UPDATE agent_presence p SET
         wrap_up_until = CASE WHEN v_wrap > 0 THEN now() + make_interval(secs => v_wrap) END,
         idle_since = now() + make_interval(secs => v_wrap)
   WHERE p.agent_id = p_agent RETURNING p.wrap_up_until INTO v_until;
  SELECT a.lines INTO v_lines FROM agents a WHERE a.id = p_agent;
  v_lines := coalesce(v_lines, ARRAY[c.line]);
  IF v_until IS NOT NULL THEN
    PERFORM tether_schedule_job('agent.wrap-up-end', p_agent || '@' || tether_epoch_ms(v_until),
                                jsonb_build_object('lines', v_lines), v_until);
  END IF;
  RETURN QUERY SELECT 'completed'::text, c.line, v_lines, v_until, v_case.case_id, v_case.outcome, v_case.owner_id;
END
$fn$;
