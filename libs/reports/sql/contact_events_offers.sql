-- tether_contact_events_offers(): the contact event history's writer for offers (a row trigger beside
-- tether_contact_events_contacts, whose header lists every kind): an insert is 'offered' (agent_id, offer_id,
-- detail.reason), a state change is the new state, 'rejected', 'expired' or 'revoked' (detail.reason: end_reason);
-- 'accepted' and 'transferred' are left to the contact's own 'connected' and 'transferred' (the trigger's WHEN
-- clause, so the function is not even called for them). No customer, case or incident: they are the contact's, on
-- its 'queued'. Outcome: NULL (an AFTER trigger); no codes. Locks: none.

CREATE OR REPLACE FUNCTION tether_contact_events_offers() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- no customer, case or incident here: they are the contact's (its 'queued' event), and a look-up of the contact
  -- row on every offer would cost the hot path a read for what a join by contact_id gives
  IF TG_OP = 'INSERT' THEN
    INSERT INTO contact_events (at, kind, contact_id, line, channel, agent_id, offer_id, detail)
    VALUES (NEW.created_at, 'offered', NEW.contact_id, NEW.line, NEW.channel, NEW.agent_id, NEW.id,
            jsonb_build_object('reason', NEW.reason));
  ELSE
    INSERT INTO contact_events (at, kind, contact_id, line, channel, agent_id, offer_id, detail)
    VALUES (coalesce(NEW.resolved_at, now()), NEW.state, NEW.contact_id, NEW.line, NEW.channel, NEW.agent_id, NEW.id,
            jsonb_strip_nulls(jsonb_build_object('reason', NEW.end_reason)));
  END IF;
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS contact_events_on_offers ON offers;
CREATE TRIGGER contact_events_on_offers AFTER INSERT ON offers
  FOR EACH ROW EXECUTE FUNCTION tether_contact_events_offers();
DROP TRIGGER IF EXISTS contact_events_on_offers_update ON offers;
CREATE TRIGGER contact_events_on_offers_update AFTER UPDATE ON offers
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.state NOT IN ('accepted', 'transferred'))
  EXECUTE FUNCTION tether_contact_events_offers();
