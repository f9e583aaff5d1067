-- tether_lock_call(p_line, p_channel, p_call_id): the lock of one call id on one line and channel, a transaction-level
-- advisory lock (held to the end of the caller's transaction). The call webhook (tether_receive_call) and the
-- hang-up (tether_remember_hangup) both take it before they look for the call, so a hang-up racing its own call
-- webhook is ordered one way or the other, never lost between them: either the hang-up comes first and leaves a
-- tombstone the call then finds, or the call comes first and the hang-up ends its contact.
--
-- Outcome: none (void). Locks: the advisory lock only; the two-int form with its own class key keeps it apart from
-- the lines' (bigint) routing locks and the migration lock. Two call ids whose hashes collide only wait for each other.

CREATE OR REPLACE FUNCTION tether_lock_call(p_line text, p_channel text, p_call_id text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('tether.call'), hashtext(p_line || '/' || p_channel || '/' || p_call_id));
END
$fn$;
