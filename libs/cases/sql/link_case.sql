-- tether_link_case(p_contact, p_agent, p_resolution, p_subject, p_case): the case a contact being completed belongs
-- to, and what its resolution does to that case. Called by tether_complete_contact, in its transaction, after the
-- contact row was locked and before anything was written (so 'case_not_found' can refuse the whole completion).
--
-- Which case:
--   * p_case given: that case, which must be the same customer's (else 'case_not_found'); it may be resolved or
--     closed: a contact that is not `resolved` reopens it (unless another open case of that customer, line and
--     subject exists: then it is linked and stays as it was);
--   * else p_subject given: the customer's open case on the contact's line with that subject (case-insensitive);
--   * else the case the contact was linked to at arrival, if still open, or the customer's newest open case on the
--     line;
--   * none found and the resolution is `follow_up` or `unresolved`: a new case, owned by p_agent (their team),
--     subject p_subject, else the IVR intent, else 'general'. Two contacts of one customer completing at once meet
--     on cases_one_open_per_subject (ON CONFLICT): one case, both linked.
-- Then: `resolved` resolves the case; `follow_up`/`unresolved` keep it open (or reopen it, above). The owner never
-- changes here: only a handover changes it.
--
-- Outcomes (outcome, case_id, owner_id):
--   'opened'          a new case, owned by p_agent;
--   'linked'          an existing case (also: the concurrent twin's, found on conflict);
--   'none'            no case (resolved without an open case);
--   'case_not_found'  p_case is not a case of this contact's customer; nothing written.
-- Locks: the case row FOR UPDATE (an existing one), or the unique index entry (a new one).

CREATE OR REPLACE FUNCTION tether_link_case(
  p_contact uuid, p_agent uuid, p_resolution text, p_subject text, p_case uuid
) RETURNS TABLE (outcome text, case_id uuid, owner_id uuid) LANGUAGE plpgsql AS $fn$
DECLARE
  c contacts%ROWTYPE;
  k cases%ROWTYPE;
  v_outcome text := 'linked';
  v_subject text := nullif(btrim(p_subject), '');
  v_team text;
BEGIN
  SELECT * INTO c FROM contacts x WHERE x.id = p_contact;
  IF p_case IS NOT NULL THEN
    SELECT * INTO k FROM cases y WHERE y.id = p_case AND y.customer_id = c.customer_id FOR UPDATE;
    IF k.id IS NULL THEN
      RETURN QUERY SELECT 'case_not_found'::text, NULL::uuid, NULL::uuid;
      RETURN;
    END IF;
  ELSIF v_subject IS NOT NULL THEN
    SELECT * INTO k FROM cases y
     WHERE y.customer_id = c.customer_id AND y.line = c.line AND y.subject_key = lower(v_subject)
       AND y.status IN ('open', 'waiting_on_customer')
     FOR UPDATE;
  ELSE
    SELECT * INTO k FROM cases y
     WHERE y.id = c.case_id AND y.status IN ('open', 'waiting_on_customer') FOR UPDATE;
    IF k.id IS NULL THEN
      SELECT * INTO k FROM cases y
       WHERE y.customer_id = c.customer_id AND y.line = c.line AND y.status IN ('open', 'waiting_on_customer')
       ORDER BY y.updated_at DESC, y.id LIMIT 1 FOR UPDATE;
    END IF;
  END IF;

  IF k.id IS NULL THEN
    IF p_resolution = 'resolved' THEN
      RETURN QUERY SELECT 'none'::text, NULL::uuid, NULL::uuid;
      RETURN;
    END IF;
    SELECT a.team INTO v_team FROM agents a WHERE a.id = p_agent;
    INSERT INTO cases AS y (customer_id, line, subject, owner_id, team, opened_by_contact_id)
    VALUES (c.customer_id, c.line, left(coalesce(v_subject, nullif(btrim(c.ivr ->> 'intent'), ''), 'general'), 200),
            p_agent, v_team, c.id)
    ON CONFLICT (customer_id, line, subject_key) WHERE status IN ('open', 'waiting_on_customer')
      DO UPDATE SET updated_at = now()
    RETURNING y.* INTO k;
    IF k.opened_by_contact_id = c.id THEN
      v_outcome := 'opened';
    END IF;
  END IF;

  UPDATE contacts x SET case_id = k.id WHERE x.id = c.id;
  IF p_resolution = 'resolved' THEN
    UPDATE cases y SET status = 'resolved', resolved_at = now(), updated_at = now()
     WHERE y.id = k.id AND y.status IN ('open', 'waiting_on_customer');
    UPDATE cases y SET updated_at = now() WHERE y.id = k.id AND y.status NOT IN ('open', 'waiting_on_customer');
  ELSIF k.status IN ('resolved', 'closed') THEN
    BEGIN
      UPDATE cases y SET status = 'open', resolved_at = NULL, closed_at = NULL, updated_at = now() WHERE y.id = k.id;
    EXCEPTION WHEN unique_violation THEN
      -- another open case has this subject: the contact is linked to the one it named, which stays as it was
      NULL;
    END;
  ELSE
    UPDATE cases y SET status = 'open', updated_at = now() WHERE y.id = k.id;
  END IF;
  RETURN QUERY SELECT v_outcome, k.id, k.owner_id;
END
$fn$;
