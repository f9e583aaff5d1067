-- tether_recent_contacts(p_customer, p_exclude, p_limit): a customer's latest contacts, newest first, with one left
-- out (the contact being offered), as an offer's customer card shows them: a json array of {id, line, channel,
-- agentId, resolution, notes, startedAt}. Used by OfferPayloadBuilder (the card a gateway sends with an offer).
--
-- Outcome: the array ('[]' for none); no codes. STABLE.
-- Locks: none (reads contacts).
-- PL/pgSQL for a cached plan.

CREATE OR REPLACE FUNCTION tether_recent_contacts(p_customer uuid, p_exclude uuid, p_limit int) RETURNS json
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN (
    SELECT coalesce(json_agg(json_build_object('id', h.id, 'line', h.line, 'channel', h.channel,
             'agentId', h.agent_id, 'resolution', h.resolution, 'notes', h.notes,
             'startedAt', to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
             ORDER BY h.created_at DESC, h.id DESC), '[]'::json)
      FROM (SELECT * FROM contacts x WHERE x.customer_id = p_customer AND x.id IS DISTINCT FROM p_exclude
             ORDER BY x.created_at DESC, x.id DESC LIMIT p_limit) h);
END
$fn$;
