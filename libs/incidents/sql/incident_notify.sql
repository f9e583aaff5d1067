-- tether_incident_notify(p_update, p_url, p_limit, p_per_second): the next batch of an incident update's notices
-- (IncidentService's 'incident.notify' job): for up to p_limit affected customers not yet noticed for this update,
-- one incident_notices row (primary key (update, customer): never two for one customer and update, whatever runs
-- twice) and its outbox row (outbound_webhooks, event 'customer.notice', to p_url) with its delivery job
-- ('telephony.callback', the same signed, retried delivery as the telephony callbacks), due at most p_per_second per
-- second from now. Affected here: the incident's customer ids, the holders of a phone number under one of its
-- prefixes, the customers holding one of its attribute values. (A line-wide incident is announced to its callers;
-- a line has no list of customers to push to.) Channel: the customer's preference (customers.notice_channel) when
-- they have an identity of that kind, else SMS to their phone number, else e-mail; a customer with neither is skipped.
--
-- Outcome: the number of affected customers handled (p_limit: call again for the next batch).
-- Locks: the update's incident row FOR SHARE (an edit waits for the batch); new rows only otherwise.

CREATE OR REPLACE FUNCTION tether_incident_notify(p_update bigint, p_url text, p_limit int, p_per_second int)
RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  u incident_updates%ROWTYPE;
  i incidents%ROWTYPE;
  v_text text;
  v_count int := 0;
  v_processed int := 0;
  r record;
  v_body jsonb;
  v_outbound uuid;
  v_existing int;
BEGIN
  SELECT * INTO u FROM incident_updates x WHERE x.id = p_update;
  IF u.id IS NULL OR NOT u.notify THEN
    RETURN 0;
  END IF;
  SELECT * INTO i FROM incidents y WHERE y.id = u.incident_id FOR SHARE;
  SELECT count(*) INTO v_existing FROM incident_notices n WHERE n.update_id = p_update;
  v_text := i.title || ': ' ||
            CASE u.kind WHEN 'resolved' THEN 'resolved.'
                        ELSE coalesce(u.text, i.announcement) END ||
            CASE WHEN u.eta IS NOT NULL AND u.kind <> 'resolved'
                 THEN ' Expected to be fixed by ' || to_char(u.eta AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC.'
                 ELSE '' END;
  FOR r IN
    WITH affected AS (
      SELECT cu.id FROM customers cu WHERE cu.id = ANY (i.affected_customer_ids)
      UNION
      SELECT ci.customer_id FROM customer_identities ci, unnest(i.affected_phone_prefixes) pre
       WHERE ci.kind = 'phone' AND left(ci.value, length(pre)) = pre
      UNION
      SELECT cu.id FROM jsonb_each(i.affected_attributes) a, jsonb_array_elements_text(a.value) v, customers cu
       WHERE cu.attributes @> jsonb_build_object(a.key, v)
    )
    SELECT a.id AS customer_id,
           (SELECT ci.value FROM customer_identities ci WHERE ci.customer_id = a.id AND ci.kind = 'phone'
             ORDER BY ci.created_at LIMIT 1) AS phone,
           (SELECT ci.value FROM customer_identities ci WHERE ci.customer_id = a.id AND ci.kind = 'email'
             ORDER BY ci.created_at LIMIT 1) AS email,
           (SELECT cu.notice_channel FROM customers cu WHERE cu.id = a.id) AS preference
      FROM affected a
     WHERE NOT EXISTS (SELECT 1 FROM incident_notices n WHERE n.update_id = p_update AND n.customer_id = a.id)
     ORDER BY a.id
     LIMIT p_limit
  LOOP
    IF r.phone IS NULL AND r.email IS NULL THEN
      -- nothing to reach them by: recorded without a message, so the batch moves on
      INSERT INTO incident_notices (update_id, customer_id, incident_id, channel)
      VALUES (p_update, r.customer_id, i.id, 'sms') ON CONFLICT DO NOTHING;
      v_processed := v_processed + 1;
      CONTINUE;
    END IF;
    v_body := jsonb_build_object(
      'event', 'customer.notice', 'noticeId', p_update || ':' || r.customer_id, 'customerId', r.customer_id,
      'incidentId', i.id, 'update', u.kind, 'status', u.status,
      'eta', to_char(u.eta AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'channel', CASE WHEN r.preference = 'email' AND r.email IS NOT NULL THEN 'email'
                      WHEN r.phone IS NOT NULL THEN 'sms' ELSE 'email' END,
      'to', CASE WHEN r.preference = 'email' AND r.email IS NOT NULL THEN r.email ELSE coalesce(r.phone, r.email) END,
      'text', v_text);
    INSERT INTO outbound_webhooks (url, event, body) VALUES (p_url, 'customer.notice', v_body)
    RETURNING outbound_webhooks.id INTO v_outbound;
    INSERT INTO incident_notices (update_id, customer_id, incident_id, channel, outbound_id)
    VALUES (p_update, r.customer_id, i.id, v_body ->> 'channel', v_outbound);
    PERFORM tether_schedule_job('telephony.callback', v_outbound::text, jsonb_build_object('id', v_outbound),
                                now() + make_interval(secs => (v_existing + v_count)::float / greatest(p_per_second, 1)));
    v_count := v_count + 1;
    v_processed := v_processed + 1;
  END LOOP;
  RETURN v_processed;
END
$fn$;
