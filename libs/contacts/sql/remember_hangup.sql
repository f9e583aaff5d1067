-- tether_remember_hangup(p_line, p_channel, p_call_id, p_keep_seconds): a hang-up reached a line
-- (ContactLifecycleService.hangup). Under the call's lock (tether_lock_call, held to the end of the caller's
-- transaction) it looks for the call on this line only: the same call id on another line is another call.
--
-- Outcomes (outcome, contact_id, remembered_until), declared in TypeScript as SQL_OUTCOMES.tether_remember_hangup:
--   'known'       a contact with this call id exists on this line: its id, nothing written. The caller ends it in the
--                 same transaction, still under the call's lock;
--   'remembered'  none does: the hang-up overtook its call webhook. A tombstone is written in call_tombstones (or,
--                 when one is there, its expiry pushed back) until now + p_keep_seconds, returned as remembered_until.
--                 When the call webhook then arrives, tether_receive_call records the call as ended and queues nothing.
-- Expired tombstones are cleaned up here, at insert: up to 100 of any call's per call (so the table never holds
-- more expired rows than it did before), skipping rows another transaction holds.
-- Locks: the call's advisory lock; the tombstone row.

CREATE OR REPLACE FUNCTION tether_remember_hangup(
  p_line text, p_channel text, p_call_id text, p_keep_seconds int
) RETURNS TABLE (outcome text, contact_id uuid, remembered_until timestamptz) LANGUAGE plpgsql AS $fn$
DECLARE
  v_contact uuid;
  v_until timestamptz;
BEGIN
  PERFORM tether_lock_call(p_line, p_channel, p_call_id);
  SELECT c.id INTO v_contact FROM contacts c
   WHERE c.line = p_line AND c.channel = p_channel AND c.external_id = p_call_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'known'::text, v_contact, NULL::timestamptz;
    RETURN;
  END IF;

  DELETE FROM call_tombstones t WHERE t.ctid = ANY (ARRAY(
    SELECT e.ctid FROM call_tombstones e WHERE e.expires_at <= now() LIMIT 100 FOR UPDATE SKIP LOCKED));

  INSERT INTO call_tombstones AS t (line, channel, external_id, expires_at)
  VALUES (p_line, p_channel, p_call_id, now() + make_interval(secs => p_keep_seconds))
  ON CONFLICT (line, channel, external_id) DO UPDATE SET expires_at = greatest(t.expires_at, EXCLUDED.expires_at)
  RETURNING t.expires_at INTO v_until;
  RETURN QUERY SELECT 'remembered'::text, NULL::uuid, v_until;
END
$fn$;
