-- tether_contact_events_notices(): the contact event history's writer for incident notices (a row trigger beside
-- tether_contact_events_contacts): each notice sent to a customer is a 'notified' event (customer_id, incident_id,
-- detail.channel and updateId; no contact). Outcome: NULL (an AFTER trigger); no codes. Locks: none.

CREATE OR REPLACE FUNCTION tether_contact_events_notices() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO contact_events (at, kind, customer_id, incident_id, detail)
  VALUES (NEW.created_at, 'notified', NEW.customer_id, NEW.incident_id,
          jsonb_build_object('channel', NEW.channel, 'updateId', NEW.update_id));
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS contact_events_on_notices ON incident_notices;
CREATE TRIGGER contact_events_on_notices AFTER INSERT ON incident_notices
  FOR EACH ROW EXECUTE FUNCTION tether_contact_events_notices();
