-- tether_call_row(p_contact): the row GET /v1/telephony/calls/{callId} (and the webhook's answer) is built from,
-- plus `ahead`, how many queued contacts of the line come before it (priority, then arrival), when it is queued.
--
-- Outcome: one row, or none for an unknown contact; no codes.
-- Locks: none (reads contacts and customers).
-- PL/pgSQL, not SQL, so its plans are cached (a SQL function that is not inlined is planned on every call);
-- VOLATILE so that, joined laterally to tether_receive_call in one statement, it sees the contact that call inserted.
-- `direction` (inbound, or outbound: a callback an agent scheduled, an agent's dial) and `callback` (the contact's
-- callback, if any: {id, state, requestedBy, windowStart, dueAt, callerLeftAt, attempts, maxAttempts, lastResult,
-- missedAt, ownerAgentId}) came with callbacks; `routed_line`, `redirect_reason`, `offer_callback` (a cross-line
-- redirect or queue overflow at arrival: `ahead` then counts the queue of the line it waits on) with issue #15: a
-- database holding a version without them drops it first (the convention in libs/persistence/README.md).
DO $drop$
BEGIN
  IF to_regprocedure('tether_call_row(uuid)') IS NOT NULL
     AND pg_get_function_result('tether_call_row(uuid)'::regprocedure) NOT LIKE '%redirect_reason%' THEN
    DROP FUNCTION tether_call_row(uuid);
  END IF;
END
$drop$;

CREATE OR REPLACE FUNCTION tether_call_row(p_contact uuid) RETURNS TABLE (
  id uuid, external_id text, channel text, line text, customer_id uuid, from_address text, ivr jsonb,
  priority int, status text, end_reason text, sticky_agent_id uuid, offered_agent_id uuid, agent_id uuid,
  work_open boolean, announcement text, enqueued_at timestamptz, routing_trace jsonb, known boolean, ahead int,
  direction text, callback jsonb, routed_line text, redirect_reason text, offer_callback boolean
) LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  RETURN QUERY
  SELECT c.id, c.external_id, c.channel, c.line, c.customer_id, c.from_address, c.ivr, c.priority, c.status,
         c.end_reason, c.sticky_agent_id, c.offered_agent_id, c.agent_id, c.work_open, c.announcement,
         c.enqueued_at, c.routing_trace, cu.known,
         CASE WHEN c.status = 'queued' THEN (
           SELECT count(*)::int FROM contacts q
            WHERE ((q.line = coalesce(c.routed_line, c.line) AND q.routed_line IS NULL)
                   OR q.routed_line = coalesce(c.routed_line, c.line))
              AND q.status = 'queued'
             AND (q.priority > c.priority OR (q.priority = c.priority AND (q.enqueued_at, q.id) < (c.enqueued_at, c.id))))
         END,
         c.direction,
         CASE WHEN b.id IS NOT NULL THEN jsonb_build_object(
           'id', b.id, 'state', b.state, 'requestedBy', b.requested_by, 'windowStart', b.window_start,
           'dueAt', b.due_at, 'callerLeftAt', b.caller_left_at, 'attempts', b.attempts, 'maxAttempts', b.max_attempts,
           'lastResult', b.last_result, 'missedAt', b.missed_at, 'ownerAgentId', b.owner_agent_id) END,
         c.routed_line, c.redirect_reason, c.offer_callback
  FROM contacts c JOIN customers cu ON cu.id = c.customer_id LEFT JOIN callbacks b ON b.id = c.callback_id
  WHERE c.id = p_contact;
END
$fn$;
