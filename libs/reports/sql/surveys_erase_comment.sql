-- tether_surveys_erase_comment(): a row trigger on contacts (AFTER UPDATE OF erased_at, when it is set): an erased
-- contact's survey keeps its score (a figure) and loses the customer's words. Outcome: NULL; no codes. Locks: the
-- survey row.

CREATE OR REPLACE FUNCTION tether_surveys_erase_comment() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE surveys SET comment = NULL WHERE contact_id = NEW.id AND comment IS NOT NULL;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS surveys_erase_comment ON contacts;
CREATE TRIGGER surveys_erase_comment AFTER UPDATE OF erased_at ON contacts
  FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
  EXECUTE FUNCTION tether_surveys_erase_comment();
