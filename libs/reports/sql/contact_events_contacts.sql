-- tether_contact_events_contacts(): the contact event history's writer for contacts, a row trigger (AFTER INSERT,
-- and AFTER UPDATE when the status, the transfer or the completion changes) that appends to contact_events in the
-- same transaction as the change (migration 1764002000000). Its siblings: tether_contact_events_offers (offers),
-- tether_contact_events_notices (incident notices). The lifecycle functions know nothing of them, so a function
-- changed by anyone keeps writing history as long as it changes the rows.
--
-- Kinds (`at` is the row's own time of the step where it has one, else now(): the database's clock either way):
--   INSERT                  'queued' at enqueued_at (the arrival: once per contact); a row inserted in another status
--                           then gets that change's event too (a call whose hang-up came first: 'abandoned')
--   status changes          'connected' (agent_id; detail.reason the accepted offer's: sticky, case_owner, transfer,
--                           skills, ...; detail.first on the contact's first answer only);
--                           'abandoned' (ended, never connected: in the queue, or during an offer: detail.from
--                           'offered', agent_id the offered agent); 'ended' (a connected call is over);
--                           'requeued' (back in the queue from 'connected': a transfer that came back cold);
--                           any other status under its own name (a status added later gets its events with no
--                           change here). 'offered', and 'offered' back to 'queued', are the offers' events
--                           (tether_contact_events_offers: 'offered', 'rejected', 'expired', 'revoked').
--   transfer_id set         'transferred' at the transfer's created_at (agent_id the transferring agent;
--                           detail.toLine, targetKind, mode), instead of the 'queued' that comes with it
--   completed_at set        'completed' (detail.resolution), after the 'ended' of the same update
--   callback_id set         'callback' (detail.callbackId): the caller confirmed a callback or an agent scheduled one
--                           (a scheduled callback is not a repeat contact)
-- Outcome: NULL (an AFTER trigger); no codes. Locks: none taken (the accepted offer's and the transfer's look-ups
-- read rows the caller already holds).
--
-- The hot path writes its own: tether_receive_call ('queued'), tether_accept_offer ('connected') and
-- tether_complete_contact ('ended', 'completed') insert their events in the statement after the change, the same rows
-- this function would write, and set `tether.history` to 'written' (transaction-local, reset right after) around the
-- change, which the triggers' WHEN clauses read: the trigger is then not even queued. A trigger call, the re-read of
-- the row and (for 'connected') the accepted offer's look-up cost the lifecycle more than the insert itself
-- (bench/README.md, "the write cost"). Every other writer of contacts (transfers, hang-ups, messages, callbacks,
-- stage ends, merges, fixtures, a function added later) leaves the flag alone and is recorded here.

CREATE OR REPLACE FUNCTION tether_contact_events_contacts() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_from text;
  v_kind text;
  v_transfer record;
  v_reason text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO contact_events (at, kind, contact_id, line, channel, customer_id, case_id, incident_id)
    VALUES (NEW.enqueued_at, 'queued', NEW.id, NEW.line, NEW.channel, NEW.customer_id, NEW.case_id, NEW.incident_id);
    v_from := 'queued';
  ELSE
    v_from := OLD.status;
  END IF;

  IF NEW.transfer_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.transfer_id IS DISTINCT FROM OLD.transfer_id) THEN
    SELECT t.target_line, t.target_kind, t.mode, t.from_agent_id, t.created_at INTO v_transfer FROM transfers t
     WHERE t.id = NEW.transfer_id;
    INSERT INTO contact_events (at, kind, contact_id, line, channel, agent_id, customer_id, case_id, incident_id,
                                detail)
    VALUES (coalesce(v_transfer.created_at, now()), 'transferred', NEW.id, NEW.line, NEW.channel,
            v_transfer.from_agent_id, NEW.customer_id, NEW.case_id,
            NEW.incident_id, jsonb_build_object('transferId', NEW.transfer_id, 'toLine', v_transfer.target_line,
                                                'targetKind', v_transfer.target_kind, 'mode', v_transfer.mode));
  ELSIF NEW.status IS DISTINCT FROM v_from AND NEW.status <> 'offered'
        AND NOT (v_from = 'offered' AND NEW.status = 'queued') THEN
    v_kind := CASE WHEN NEW.status = 'ended' AND NEW.connected_at IS NULL THEN 'abandoned'
                   WHEN NEW.status = 'queued' THEN 'requeued'
                   ELSE NEW.status END;
    IF v_kind = 'connected' THEN
      -- the live accepted offer (offers_one_live_per_contact): why this agent got it
      SELECT o.reason INTO v_reason FROM offers o
       WHERE o.contact_id = NEW.id AND o.state IN ('pending', 'accepted') AND o.agent_id = NEW.agent_id;
    END IF;
    INSERT INTO contact_events (at, kind, contact_id, line, channel, agent_id, customer_id, case_id, incident_id,
                                detail)
    VALUES (CASE v_kind WHEN 'connected' THEN coalesce(NEW.connected_at, now())
                        WHEN 'ended' THEN coalesce(NEW.ended_at, now())
                        WHEN 'abandoned' THEN coalesce(NEW.ended_at, now())
                        ELSE now() END,
            v_kind, NEW.id, NEW.line, NEW.channel,
            CASE WHEN v_kind = 'abandoned' THEN CASE WHEN TG_OP = 'UPDATE' THEN OLD.offered_agent_id END
                 ELSE NEW.agent_id END,
            NEW.customer_id, NEW.case_id, NEW.incident_id,
            CASE WHEN v_kind IN ('abandoned', 'ended', 'requeued')
                   THEN jsonb_strip_nulls(jsonb_build_object('from', v_from, 'reason', NEW.end_reason))
                 WHEN v_kind = 'connected'
                   THEN jsonb_strip_nulls(jsonb_build_object(
                          'reason', v_reason,
                          -- the contact's first answer (a transfer's accept or a warm return is not)
                          'first', CASE WHEN TG_OP = 'INSERT' OR OLD.connected_at IS NULL THEN true END)) END);
  END IF;

  -- a callback confirmed by the caller, or scheduled by an agent (the contact was inserted with it)
  IF NEW.callback_id IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.callback_id IS NULL) THEN
    INSERT INTO contact_events (at, kind, contact_id, line, channel, customer_id, case_id, incident_id, detail)
    VALUES (now(), 'callback', NEW.id, NEW.line, NEW.channel, NEW.customer_id, NEW.case_id, NEW.incident_id,
            jsonb_build_object('callbackId', NEW.callback_id));
  END IF;

  IF NEW.completed_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.completed_at IS NULL) THEN
    INSERT INTO contact_events (at, kind, contact_id, line, channel, agent_id, customer_id, case_id, incident_id,
                                detail)
    VALUES (NEW.completed_at, 'completed', NEW.id, NEW.line, NEW.channel, NEW.agent_id, NEW.customer_id, NEW.case_id,
            NEW.incident_id, jsonb_strip_nulls(jsonb_build_object('resolution', NEW.resolution)));
  END IF;
  RETURN NULL;
END
$fn$;

-- the WHEN clause keeps the function out of the many updates that change nothing the history records (a trace
-- line, an exclusion, a sticky hint), out of a routing pass's offer ('offered', and 'offered' back to 'queued', are
-- the offers' events: the function writes nothing for them), and out of the changes whose writer recorded them
-- itself (`tether.history` = 'written', see the header)
DROP TRIGGER IF EXISTS contact_events_on_contacts ON contacts;
CREATE TRIGGER contact_events_on_contacts AFTER INSERT ON contacts
  FOR EACH ROW WHEN (current_setting('tether.history', true) IS DISTINCT FROM 'written')
  EXECUTE FUNCTION tether_contact_events_contacts();
DROP TRIGGER IF EXISTS contact_events_on_contacts_update ON contacts;
CREATE TRIGGER contact_events_on_contacts_update AFTER UPDATE ON contacts
  FOR EACH ROW WHEN (((OLD.status IS DISTINCT FROM NEW.status AND NEW.status <> 'offered'
                       AND NOT (OLD.status = 'offered' AND NEW.status = 'queued'))
                      OR OLD.transfer_id IS DISTINCT FROM NEW.transfer_id
                      OR OLD.completed_at IS DISTINCT FROM NEW.completed_at
                      OR OLD.callback_id IS DISTINCT FROM NEW.callback_id)
                     AND current_setting('tether.history', true) IS DISTINCT FROM 'written')
  EXECUTE FUNCTION tether_contact_events_contacts();
