-- tether_trace(p_text): one routing-trace entry, shaped like the application's:
-- [{"at": ISO-8601 UTC in ms, "text": ...}]. The lifecycle functions append it to contacts.routing_trace
-- (`routing_trace || tether_trace('...')`).
--
-- Outcome: a jsonb array of one entry; no codes. VOLATILE: the time is clock_timestamp(), the moment of the step.
-- Locks: none.
-- LANGUAGE sql, so PostgreSQL checks the body when the file is applied; it uses nothing but built-ins.

CREATE OR REPLACE FUNCTION tether_trace(p_text text) RETURNS jsonb LANGUAGE sql VOLATILE AS $fn$
  SELECT jsonb_build_array(jsonb_build_object(
    'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'text', p_text))
$fn$;
