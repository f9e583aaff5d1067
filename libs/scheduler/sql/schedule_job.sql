-- tether_schedule_job(p_kind, p_dedupe_key, p_payload, p_run_at): writes one durable timer into scheduled_jobs, the
-- scheduler's table, inside the caller's transaction. The one definition of scheduling: DurableScheduler.schedule()
-- and every SQL function that schedules (commit_offers, accept_offer, complete_contact) call it, so
-- no other lib writes scheduled_jobs.
--
-- Outcome: none (void). With a dedupe key, a job of the same kind and key that already exists wins and nothing is
-- written (ON CONFLICT on the partial unique index scheduled_jobs_dedupe); without one (NULL) a job is always
-- written. Claiming, completing and retrying stay in DurableScheduler.
-- Locks: none on existing rows; a concurrent insert of the same kind and key waits for the first to commit or roll
-- back, then does nothing or inserts.
-- PL/pgSQL, not SQL, so the INSERT's plan is cached (a SQL function that is not inlined is planned on every call).

CREATE OR REPLACE FUNCTION tether_schedule_job(p_kind text, p_dedupe_key text, p_payload jsonb, p_run_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO scheduled_jobs (kind, dedupe_key, payload, run_at)
  VALUES (p_kind, p_dedupe_key, p_payload, p_run_at)
  ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
END
$fn$;
