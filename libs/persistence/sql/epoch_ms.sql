-- tether_epoch_ms(p_at): epoch milliseconds, truncated like a JavaScript Date's getTime(), so the dedupe keys the
-- functions write (`<contact>@<ms>`, `<agent>@<ms>`) match those TypeScript writes for the same instant.
--
-- Outcome: a bigint; no codes. IMMUTABLE.
-- Locks: none.
-- LANGUAGE sql, so PostgreSQL checks the body when the file is applied; it uses nothing but built-ins.

CREATE OR REPLACE FUNCTION tether_epoch_ms(p_at timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $fn$
  SELECT floor(extract(epoch FROM p_at) * 1000)::bigint
$fn$;
