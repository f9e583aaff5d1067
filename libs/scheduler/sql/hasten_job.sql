-- tether_hasten_job(p_kind, p_dedupe_key, p_delay_ms): brings a job forward to run p_delay_ms from now, counting an
-- attempt its owner made and failed before it came due (TelephonyCallbackService.deliverDirect: the first delivery
-- of a callback failed, so its safety-net job retries at the usual backoff instead of seconds later). Only a job
-- nobody has claimed is touched (locked_until IS NULL), as for tether_cancel_job.
--
-- Outcome: true when it moved the job, false when there was no such unclaimed job.
-- Locks: the job's row (UPDATE), nothing else.

CREATE OR REPLACE FUNCTION tether_hasten_job(p_kind text, p_dedupe_key text, p_delay_ms int) RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE scheduled_jobs SET run_at = now() + make_interval(secs => p_delay_ms / 1000.0), attempts = attempts + 1
   WHERE kind = p_kind AND dedupe_key = p_dedupe_key AND locked_until IS NULL;
  RETURN FOUND;
END
$fn$;
