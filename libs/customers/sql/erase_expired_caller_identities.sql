-- tether_erase_expired_caller_identities(p_days, p_limit): retention (TETHER_RETENTION_DAYS, after
-- tether_erase_expired_contact_data in the same transaction). A caller nobody registered is a provisional customer
-- (known = false) found by the number intake stored as their phone identity: that identity is the caller's number
-- too. It is deleted, at most p_limit at a time, once it is older than p_days days and every contact of its customer
-- has been erased (none still holds personal data); the customer stays, anonymous (no name, no identity), with their
-- contacts. The same number calling again starts a new provisional customer. Identities of known customers were
-- registered by an admin and stay until the customer is erased (DELETE /v1/customers/{id}).
--
-- Outcome: how many identities this call deleted; p_limit means more may be left (the caller runs it again).
-- Idempotent. Locks: the identity rows it deletes, FOR UPDATE SKIP LOCKED.

CREATE OR REPLACE FUNCTION tether_erase_expired_caller_identities(p_days int, p_limit int) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  v_deleted int;
BEGIN
  WITH due AS (
    SELECT i.kind, i.value FROM customer_identities i JOIN customers cu ON cu.id = i.customer_id
     WHERE NOT cu.known AND i.created_at < now() - make_interval(days => p_days)
       AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.customer_id = i.customer_id AND c.erased_at IS NULL)
     LIMIT p_limit
     FOR UPDATE OF i SKIP LOCKED
  )
  DELETE FROM customer_identities i USING due WHERE i.kind = due.kind AND i.value = due.value;
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  RETURN v_deleted;
END
$fn$;
