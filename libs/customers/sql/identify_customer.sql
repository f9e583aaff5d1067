-- tether_identify_customer(p_kind, p_value): who a contact comes from, by one identity of theirs (p_kind 'phone' |
-- 'email' | 'handle', p_value normalised by the caller). The one definition of identifying a caller or a writer:
-- tether_receive_call (by phone) and tether_receive_message (by phone, e-mail or handle) both call it.
--
-- Outcome (customer_id, known, created): the customer the identity belongs to (created false), or a new provisional
-- customer (known false, created true) holding the identity; with p_value NULL (a withheld number) always a new
-- provisional customer without an identity. A merged customer's identities belong to the customer it was merged
-- into (CustomerRepository.merge moves them), so the identity finds the survivor.
-- Locks: none on existing rows. Two first contacts from one new identity at once meet on customer_identities' primary
-- key: the second insert waits for the first to commit, does nothing, drops its own customer and reads the winner's.

CREATE OR REPLACE FUNCTION tether_identify_customer(p_kind text, p_value text)
RETURNS TABLE (customer_id uuid, known boolean, created boolean) LANGUAGE plpgsql AS $fn$
DECLARE
  v_customer uuid;
  v_known boolean;
BEGIN
  IF p_value IS NOT NULL THEN
    SELECT c.id, c.known INTO v_customer, v_known
      FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = p_kind AND i.value = p_value;
    IF FOUND THEN
      RETURN QUERY SELECT v_customer, v_known, false;
      RETURN;
    END IF;
  END IF;
  INSERT INTO customers (known) VALUES (false) RETURNING customers.id INTO v_customer;
  IF p_value IS NULL THEN
    RETURN QUERY SELECT v_customer, false, true;
    RETURN;
  END IF;
  INSERT INTO customer_identities (kind, value, customer_id) VALUES (p_kind, p_value, v_customer)
    ON CONFLICT (kind, value) DO NOTHING;
  IF FOUND THEN
    RETURN QUERY SELECT v_customer, false, true;
    RETURN;
  END IF;
  -- the same identity's first contact won meanwhile: theirs is the customer
  DELETE FROM customers WHERE customers.id = v_customer;
  RETURN QUERY SELECT c.id, c.known, false
    FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = p_kind AND i.value = p_value;
END
$fn$;
