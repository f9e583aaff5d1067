-- tether_cancel_job(p_kind, p_dedupe_key): drops a job whose work its owner already did before it came due, e.g. the
-- outbox's safety-net delivery of a telephony callback that the accepting process delivered at once
-- (TelephonyCallbackService.deliverDirect). Only a job nobody has claimed is touched (locked_until IS NULL): a claimed
-- one belongs to its runner, whose completion or retry is fenced by its claim token (DurableScheduler).
--
-- Outcome: true when it deleted the job, false when there was no such unclaimed job.
-- Locks: the job's row (DELETE), nothing else.

CREATE OR REPLACE FUNCTION tether_cancel_job(p_kind text, p_dedupe_key text) RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM scheduled_jobs WHERE kind = p_kind AND dedupe_key = p_dedupe_key AND locked_until IS NULL;
  RETURN FOUND;
END
$fn$;
