-- tether_erase_expired_contact_data(p_days, p_limit): retention (TETHER_RETENTION_DAYS, the 'privacy.retention'
-- job of CustomerPrivacyService, libs/customers). Erases the personal data of at most p_limit contacts that arrived
-- more than p_days days ago (created_at, against the database's clock) and have ended (agent's work closed): the
-- caller's number, the number called, the IVR's input and the notes are nulled (and a callback's number and note, the texts of messages) and erased_at set, as an erase
-- request does (tether_erase_customer_contacts); the contact keeps its customer, line, channel, times and resolution.
-- Oldest first, through the partial index contacts_unerased_by_age, so each run reads only what is left to erase.
--
-- Outcome: how many contacts this call erased; p_limit means more may be left (the caller runs it again).
-- Idempotent: an erased contact is never picked again.
-- Locks: the contact rows it erases, FOR UPDATE SKIP LOCKED: a contact another transaction holds (a late hang-up, a
-- concurrent erase request) is left for the next run instead of waited for.

CREATE OR REPLACE FUNCTION tether_erase_expired_contact_data(p_days int, p_limit int) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  v_erased int;
BEGIN
  WITH due AS (
    SELECT c.id FROM contacts c
     WHERE c.erased_at IS NULL AND c.created_at < now() - make_interval(days => p_days)
       AND c.status = 'ended' AND NOT c.work_open
     ORDER BY c.created_at
     LIMIT p_limit
     FOR UPDATE SKIP LOCKED
  )
  , erased AS (
    UPDATE contacts c SET from_address = NULL, to_address = NULL, ivr = NULL, notes = NULL, erased_at = now()
      FROM due WHERE c.id = due.id RETURNING c.id, c.callback_id
  ), callback_data AS (
    -- the number a callback was to dial and the agent's note on it go with the contact's personal data
    UPDATE callbacks b SET number = NULL, note = NULL FROM erased e WHERE b.id = e.callback_id RETURNING b.id
  ), message_data AS (
    UPDATE messages m SET text = NULL, attachments = '[]'::jsonb FROM erased e WHERE m.contact_id = e.id
    RETURNING m.id
  )
  SELECT count(*)::int INTO v_erased FROM erased;
  RETURN v_erased;
END
$fn$;
