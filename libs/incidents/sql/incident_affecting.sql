-- tether_incident_affecting(p_customer, p_phone, p_line): the newest active (not resolved) incident that affects this
-- caller on this line, if any: by customer id, by phone-number prefix (p_phone is E.164), by customer attribute
-- (the customer holds one of the listed values of a listed key), or by line. Called by tether_receive_call at intake:
-- the contact is linked to it and the caller hears its announcement.
--
-- Outcome: (incident_id, announcement): the announcement text with the ETA, if any; no row when none applies. STABLE.
-- Locks: none (reads incidents and the customer's attributes; incidents_active keeps the scan to active incidents).

CREATE OR REPLACE FUNCTION tether_incident_affecting(p_customer uuid, p_phone text, p_line text)
RETURNS TABLE (incident_id uuid, announcement text) LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN QUERY
  SELECT i.id,
         i.announcement || CASE WHEN i.eta IS NOT NULL AND i.status <> 'resolved'
           THEN ' Expected to be fixed by ' || to_char(i.eta AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC.'
           ELSE '' END
    FROM incidents i
   WHERE i.status <> 'resolved'
     AND (p_customer = ANY (i.affected_customer_ids)
          OR p_line = ANY (i.affected_lines)
          OR (p_phone IS NOT NULL
              AND EXISTS (SELECT 1 FROM unnest(i.affected_phone_prefixes) pre WHERE left(p_phone, length(pre)) = pre))
          OR (i.affected_attributes <> '{}'::jsonb
              AND EXISTS (SELECT 1 FROM customers cu, jsonb_each(i.affected_attributes) a,
                                        jsonb_array_elements_text(a.value) v
                           WHERE cu.id = p_customer AND cu.attributes ->> a.key = v)))
   ORDER BY i.created_at DESC, i.id
   LIMIT 1;
END
$fn$;
