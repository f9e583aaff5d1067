import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The contact lifecycle's hot paths as PL/pgSQL functions: one round trip (and, outside a routing pass, one commit)
 * per step instead of 6–10 statements each. The bench showed statement count, not work, as the limit on both sides
 * of the wire (bench/README.md, "What limits throughput"). Every function keeps the lock order all contact
 * transitions follow (contact row, then offer, then agent slot), so they cannot deadlock with each other.
 *
 * Offer expiry no longer needs a scheduled_jobs row per offer: a pending offer's `expires_at` is its timer, found
 * through `offers_pending_expiry` and expired by `tether_expire_due_offers` in one transaction per offer, which is
 * why it cannot double-apply when several instances sweep at once. `offer.expire` jobs written before (or by an
 * instance not yet upgraded) still fire into `tether_expire_offer`, which leaves an offer that is no longer pending
 * alone.
 */
export class HotPathFunctions1764000400000 implements MigrationInterface {
  name = 'HotPathFunctions1764000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX offers_pending_expiry ON offers (expires_at) WHERE state = 'pending';
      -- a routing pass reads the longest-idle available agents first and stops after a few
      CREATE INDEX agent_presence_available_idle ON agent_presence (idle_since, agent_id) WHERE state = 'available';

      -- one routing-trace entry, shaped like the application's: [{"at": ISO-8601 UTC in ms, "text": ...}]
      CREATE FUNCTION tether_trace(p_text text) RETURNS jsonb LANGUAGE sql VOLATILE AS $fn$
        SELECT jsonb_build_array(jsonb_build_object(
          'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'text', p_text))
      $fn$;

      -- epoch milliseconds, truncated like a JavaScript Date
      CREATE FUNCTION tether_epoch_ms(p_at timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $fn$
        SELECT floor(extract(epoch FROM p_at) * 1000)::bigint
      $fn$;

      -- a customer's latest contacts (newest first, one left out: the contact being offered), as an offer's card shows
      -- them; PL/pgSQL for a cached plan
      CREATE FUNCTION tether_recent_contacts(p_customer uuid, p_exclude uuid, p_limit int) RETURNS json
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

      -- the row GET /v1/telephony/calls/{callId} is built from, plus how many queued contacts are ahead. PL/pgSQL, not
      -- SQL, so its plans are cached (a SQL function that is not inlined is planned on every call); VOLATILE so that,
      -- joined laterally to tether_receive_call in one statement, it sees the contact that call inserted.
      CREATE FUNCTION tether_call_row(p_contact uuid) RETURNS TABLE (
        id uuid, external_id text, channel text, line text, customer_id uuid, from_address text, ivr jsonb,
        priority int, status text, end_reason text, sticky_agent_id uuid, offered_agent_id uuid, agent_id uuid,
        work_open boolean, announcement text, enqueued_at timestamptz, routing_trace jsonb, known boolean, ahead int
      ) LANGUAGE plpgsql VOLATILE AS $fn$
      BEGIN
        RETURN QUERY
        SELECT c.id, c.external_id, c.channel, c.line, c.customer_id, c.from_address, c.ivr, c.priority, c.status,
               c.end_reason, c.sticky_agent_id, c.offered_agent_id, c.agent_id, c.work_open, c.announcement,
               c.enqueued_at, c.routing_trace, cu.known,
               CASE WHEN c.status = 'queued' THEN (
                 SELECT count(*)::int FROM contacts q WHERE q.line = c.line AND q.status = 'queued'
                   AND (q.priority > c.priority OR (q.priority = c.priority AND (q.enqueued_at, q.id) < (c.enqueued_at, c.id))))
               END
        FROM contacts c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = p_contact;
      END
      $fn$;

      -- A call reaches a line: identify the caller (a provisional customer for a new number), find their last agent,
      -- insert the contact (the unique (channel, external_id) decides a duplicate), schedule the sticky wait.
      -- 'stale_rules' when the caller computed skills/priority from another version of the line's rules.
      CREATE FUNCTION tether_receive_call(
        p_line text, p_call_id text, p_from text, p_phone text, p_to text, p_ivr jsonb, p_priority int,
        p_skills jsonb, p_rules_version int, p_sticky_enabled boolean, p_horizon_days int, p_sticky_wait_seconds int
      ) RETURNS TABLE (outcome text, contact_id uuid) LANGUAGE plpgsql AS $fn$
      DECLARE
        v_version int;
        v_customer uuid;
        v_known boolean;
        v_created boolean := false;
        v_sticky uuid;
        v_contact uuid;
        v_enqueued timestamptz;
        v_until_ms bigint;
      BEGIN
        SELECT lr.version INTO v_version FROM line_routing lr WHERE lr.line = p_line;
        IF coalesce(v_version, 0) <> p_rules_version THEN
          RETURN QUERY SELECT 'stale_rules'::text, NULL::uuid;
          RETURN;
        END IF;

        IF p_phone IS NULL THEN
          INSERT INTO customers (known) VALUES (false) RETURNING customers.id INTO v_customer;
          v_known := false;
          v_created := true;
        ELSE
          SELECT c.id, c.known INTO v_customer, v_known
            FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'phone' AND i.value = p_phone;
          IF NOT FOUND THEN
            -- two first calls from the same new number at once: the identity's primary key lets exactly one win
            INSERT INTO customers (known) VALUES (false) RETURNING customers.id INTO v_customer;
            INSERT INTO customer_identities (kind, value, customer_id) VALUES ('phone', p_phone, v_customer)
              ON CONFLICT (kind, value) DO NOTHING;
            IF FOUND THEN
              v_known := false;
              v_created := true;
            ELSE
              DELETE FROM customers WHERE customers.id = v_customer;
              SELECT c.id, c.known INTO v_customer, v_known
                FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'phone' AND i.value = p_phone;
            END IF;
          END IF;
        END IF;

        IF p_sticky_enabled AND NOT v_created THEN
          SELECT c.agent_id INTO v_sticky
            FROM contacts c JOIN agents a ON a.id = c.agent_id AND a.deleted_at IS NULL
           WHERE c.customer_id = v_customer AND c.line = p_line AND c.agent_id IS NOT NULL
             AND c.connected_at > now() - make_interval(days => p_horizon_days)
           ORDER BY c.connected_at DESC LIMIT 1;
        END IF;

        INSERT INTO contacts (external_id, channel, line, customer_id, from_address, to_address, ivr, priority,
                              required_skills, status, sticky_agent_id, sticky_cause, routing_trace)
        VALUES (p_call_id, 'voice', p_line, v_customer, p_from, p_to, p_ivr, p_priority, p_skills, 'queued', v_sticky,
                CASE WHEN v_sticky IS NULL THEN NULL ELSE 'last_agent' END,
                tether_trace(CASE WHEN v_sticky IS NOT NULL
                  THEN 'arrived; customer last dealt with agent ' || v_sticky || ' on ' || p_line || ': offered to them first'
                  ELSE 'arrived; ' || CASE WHEN v_known THEN 'known' ELSE 'unknown' END || ' customer, no recent agent on ' || p_line
                END))
        ON CONFLICT ON CONSTRAINT contacts_external_unique DO NOTHING
        RETURNING contacts.id, contacts.enqueued_at INTO v_contact, v_enqueued;

        IF v_contact IS NULL THEN
          -- a duplicate (perhaps concurrent, now committed): drop the provisional customer made for it
          IF v_created THEN
            DELETE FROM customers cu WHERE cu.id = v_customer
              AND NOT EXISTS (SELECT 1 FROM contacts WHERE contacts.customer_id = cu.id);
          END IF;
          RETURN QUERY SELECT 'duplicate'::text, c.id FROM contacts c WHERE c.channel = 'voice' AND c.external_id = p_call_id;
          RETURN;
        END IF;

        IF v_sticky IS NOT NULL AND p_sticky_wait_seconds > 0 THEN
          v_until_ms := tether_epoch_ms(v_enqueued) + p_sticky_wait_seconds * 1000;
          INSERT INTO scheduled_jobs (kind, dedupe_key, payload, run_at)
          VALUES ('routing.sticky-wait', v_contact || '@' || v_until_ms, jsonb_build_object('line', p_line),
                  to_timestamp(v_until_ms / 1000.0))
          ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
        END IF;
        RETURN QUERY SELECT 'created'::text, v_contact;
      END
      $fn$;

      -- The input of one routing pass, under the line's advisory lock (held to the end of the caller's transaction):
      -- the waiting contacts first (at most p_contact_limit; none is common, and then nothing else is read), then the
      -- longest-idle free agents, as many as the contacts could use (4 per contact, at least 8, at most
      -- p_agent_limit: the caller asks again with a higher limit when a contact found none of them suitable), and the
      -- preferred agents of sticky contacts who were not among them (signed in but busy, or free but less idle).
      CREATE FUNCTION tether_routing_snapshot(p_line text, p_lock_key bigint, p_contact_limit int, p_agent_limit int)
      RETURNS json LANGUAGE plpgsql AS $fn$
      DECLARE
        v_version int;
        v_contacts json;
        v_count int;
        v_preferred uuid[];
        v_agents json;
        v_free_ids uuid[];
        v_agent_limit int;
        v_sticky json;
      BEGIN
        PERFORM pg_advisory_xact_lock(p_lock_key);
        -- The pass's commit need not wait for its WAL flush: an offer lost in a crash leaves its contact queued (the
        -- state before the pass, which was durable) and is made again; and an agent's accept, a synchronous commit
        -- later in the same WAL, cannot be durable without it. The webhook, accept and completion stay synchronous.
        PERFORM set_config('synchronous_commit', 'off', true);
        SELECT lr.version INTO v_version FROM line_routing lr WHERE lr.line = p_line;

        WITH waiting AS (
          SELECT c.id, c.channel, c.priority, c.enqueued_at, c.required_skills, c.sticky_agent_id, c.sticky_cause,
                 c.excluded_agent_ids
            FROM contacts c WHERE c.line = p_line AND c.status = 'queued'
           ORDER BY c.priority DESC, c.enqueued_at, c.id
           LIMIT p_contact_limit
        )
        SELECT json_agg(json_build_object('id', w.id, 'channel', w.channel, 'priority', w.priority,
                          'enqueuedAt', w.enqueued_at, 'requiredSkills', w.required_skills,
                          'preferredAgentId', w.sticky_agent_id, 'preferredCause', w.sticky_cause,
                          'excludedAgentIds', w.excluded_agent_ids)),
               count(*), array_agg(DISTINCT w.sticky_agent_id) FILTER (WHERE w.sticky_agent_id IS NOT NULL)
          INTO v_contacts, v_count, v_preferred
          FROM waiting w;

        IF v_count = 0 THEN
          RETURN json_build_object('version', coalesce(v_version, 0), 'agents', '[]'::json, 'contacts', '[]'::json,
                                   'sticky', '[]'::json, 'agentLimitReached', false, 'contactLimitReached', false);
        END IF;

        v_agent_limit := least(p_agent_limit, greatest(8, v_count * 4));
        WITH free AS (
          SELECT a.id, a.lines, a.skills, a.capacity, p.idle_since, p.wrap_up_until
            FROM agent_presence p JOIN agents a ON a.id = p.agent_id
           WHERE p.state = 'available' AND (p.wrap_up_until IS NULL OR p.wrap_up_until <= now())
             AND a.deleted_at IS NULL AND a.lines @> ARRAY[p_line]
             AND EXISTS (SELECT 1 FROM agent_slots s WHERE s.agent_id = p.agent_id AND s.used < s.capacity)
             AND EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = p.agent_id)
           ORDER BY p.idle_since, p.agent_id
           LIMIT v_agent_limit
        )
        SELECT json_agg(json_build_object('id', f.id, 'lines', f.lines, 'skills', f.skills, 'capacity', f.capacity,
                          'state', 'available', 'idleSince', f.idle_since, 'wrapUpUntil', f.wrap_up_until,
                          'connected', true,
                          'load', coalesce((SELECT json_object_agg(s.channel, s.used) FROM agent_slots s WHERE s.agent_id = f.id), '{}'::json))),
               array_agg(f.id)
          INTO v_agents, v_free_ids
          FROM free f;

        IF v_preferred IS NOT NULL THEN
          SELECT json_agg(json_build_object('id', a.id, 'lines', a.lines, 'skills', a.skills, 'capacity', a.capacity,
                            'state', p.state, 'idleSince', p.idle_since, 'wrapUpUntil', p.wrap_up_until,
                            'connected', EXISTS (SELECT 1 FROM agent_connections ac WHERE ac.agent_id = a.id),
                            'load', coalesce((SELECT json_object_agg(s.channel, s.used) FROM agent_slots s WHERE s.agent_id = a.id), '{}'::json)))
            INTO v_sticky
            FROM agents a JOIN agent_presence p ON p.agent_id = a.id
           WHERE a.id = ANY (v_preferred) AND NOT (a.id = ANY (coalesce(v_free_ids, '{}'::uuid[])))
             AND a.deleted_at IS NULL AND p.state <> 'offline';
        END IF;

        RETURN json_build_object('version', coalesce(v_version, 0), 'agents', coalesce(v_agents, '[]'::json),
                                 'contacts', v_contacts, 'sticky', coalesce(v_sticky, '[]'::json),
                                 'agentLimitReached', coalesce(array_length(v_free_ids, 1), 0) >= v_agent_limit,
                                 'contactLimitReached', v_count >= p_contact_limit);
      END
      $fn$;

      -- Commits a routing pass's decisions, each with conditional updates (contact still queued, agent slot still
      -- free) so a decision that raced a hang-up or another line's pass is dropped, never double-booked; schedules the
      -- pass's sticky holds; returns what each offer's payload is built from.
      CREATE FUNCTION tether_commit_offers(
        p_line text, p_contact_ids uuid[], p_agent_ids uuid[], p_reasons text[], p_traces text[], p_timeout_seconds int,
        p_hold_keys text[], p_hold_untils timestamptz[], p_history_limit int
      ) RETURNS TABLE (
        offer_id uuid, agent_id uuid, contact_id uuid, expires_at timestamptz, reason text, trace text, line text,
        channel text, external_id text, ivr jsonb, enqueued_at timestamptz, announcement text, customer_id uuid,
        from_address text, customer_name text, customer_known boolean, customer_ref text, history json
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        i int;
        v_channel text;
        v_offer uuid;
        v_expires timestamptz;
      BEGIN
        IF coalesce(array_length(p_hold_keys, 1), 0) > 0 THEN
          INSERT INTO scheduled_jobs (kind, dedupe_key, payload, run_at)
          SELECT 'routing.sticky-wait', h.k, jsonb_build_object('line', p_line), h.u
            FROM unnest(p_hold_keys, p_hold_untils) AS h(k, u)
          ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
        END IF;

        FOR i IN 1 .. coalesce(array_length(p_contact_ids, 1), 0) LOOP
          UPDATE contacts c SET status = 'offered', offered_agent_id = p_agent_ids[i], offered_at = now(),
                 routing_trace = c.routing_trace || tether_trace('offered to ' || p_agent_ids[i] || ': ' || p_traces[i])
           WHERE c.id = p_contact_ids[i] AND c.status = 'queued'
          RETURNING c.channel INTO v_channel;
          CONTINUE WHEN NOT FOUND;

          UPDATE agent_slots s SET used = s.used + 1
           WHERE s.agent_id = p_agent_ids[i] AND s.channel = v_channel AND s.used < s.capacity;
          IF NOT FOUND THEN
            -- another line's pass took this agent's last slot a moment ago: the contact waits for the next pass
            UPDATE contacts c SET status = 'queued', offered_agent_id = NULL, offered_at = NULL WHERE c.id = p_contact_ids[i];
            CONTINUE;
          END IF;

          -- clock_timestamp(), not now(): waiting for the line lock must not come out of the agent's time to answer
          INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at)
          VALUES (p_contact_ids[i], p_agent_ids[i], p_line, v_channel, 'pending', p_reasons[i], p_traces[i],
                  clock_timestamp(), clock_timestamp() + make_interval(secs => p_timeout_seconds))
          RETURNING offers.id, offers.expires_at INTO v_offer, v_expires;

          RETURN QUERY
            SELECT v_offer, p_agent_ids[i], c.id, v_expires, p_reasons[i], p_traces[i], c.line, c.channel, c.external_id,
                   c.ivr, c.enqueued_at, c.announcement, c.customer_id, c.from_address, cu.name, cu.known, cu.external_ref,
                   tether_recent_contacts(c.customer_id, c.id, p_history_limit)
              FROM contacts c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = p_contact_ids[i];
        END LOOP;
      END
      $fn$;

      -- Ends a pending offer (already locked, contact first): the contact goes back to the queue, the slot is freed.
      CREATE FUNCTION tether_end_offer(p_offer uuid, p_state text, p_reason text, p_exclude boolean)
      RETURNS void LANGUAGE plpgsql AS $fn$
      DECLARE
        o offers%ROWTYPE;
      BEGIN
        UPDATE offers SET state = p_state, end_reason = p_reason, resolved_at = now()
         WHERE offers.id = p_offer RETURNING * INTO o;
        UPDATE contacts c SET status = 'queued', offered_agent_id = NULL,
               excluded_agent_ids = CASE WHEN p_exclude THEN array_append(c.excluded_agent_ids, o.agent_id) ELSE c.excluded_agent_ids END,
               routing_trace = c.routing_trace || tether_trace('offer to ' || o.agent_id || ' ' || p_state || ' (' || p_reason || ')')
         WHERE c.id = o.contact_id AND c.status = 'offered' AND c.offered_agent_id = o.agent_id;
        UPDATE agent_slots s SET used = greatest(s.used - 1, 0) WHERE s.agent_id = o.agent_id AND s.channel = o.channel;
      END
      $fn$;

      -- Locks an offer the way every contact transition does (contact row first, then the offer) and returns it;
      -- no row when the offer does not exist.
      CREATE FUNCTION tether_lock_offer(p_offer uuid) RETURNS SETOF offers LANGUAGE plpgsql AS $fn$
      DECLARE
        v_contact uuid;
      BEGIN
        SELECT o.contact_id INTO v_contact FROM offers o WHERE o.id = p_offer;
        IF NOT FOUND THEN RETURN; END IF;
        PERFORM 1 FROM contacts c WHERE c.id = v_contact FOR UPDATE;
        RETURN QUERY SELECT * FROM offers o WHERE o.id = p_offer FOR UPDATE;
      END
      $fn$;

      -- An agent accepts: 'accepted' (connected now, outbox row written when p_callback_url is set),
      -- 'already_accepted', 'not_found' (no such offer, or not this agent's), 'expired', 'ended' (state/end_reason
      -- say how), 'contact_moved'. The callback's safety-net delivery job runs 5 s later unless the caller delivered
      -- first (TelephonyCallbackService).
      CREATE FUNCTION tether_accept_offer(p_agent uuid, p_offer uuid, p_callback_url text)
      RETURNS TABLE (outcome text, contact_id uuid, line text, state text, end_reason text, callback_id uuid,
                     callback_body jsonb)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        o offers%ROWTYPE;
        v_status text;
        v_offered_to uuid;
        v_external text;
        v_callback uuid;
        v_body jsonb;
      BEGIN
        SELECT * INTO o FROM tether_lock_offer(p_offer);
        IF o.id IS NULL OR o.agent_id <> p_agent THEN
          RETURN QUERY SELECT 'not_found'::text, NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::uuid, NULL::jsonb;
          RETURN;
        END IF;
        IF o.state = 'accepted' THEN
          RETURN QUERY SELECT 'already_accepted'::text, o.contact_id, o.line, o.state, o.end_reason, NULL::uuid, NULL::jsonb;
          RETURN;
        END IF;
        IF o.state <> 'pending' THEN
          RETURN QUERY SELECT 'ended'::text, o.contact_id, o.line, o.state, o.end_reason, NULL::uuid, NULL::jsonb;
          RETURN;
        END IF;
        IF o.expires_at <= now() THEN
          RETURN QUERY SELECT 'expired'::text, o.contact_id, o.line, o.state, o.end_reason, NULL::uuid, NULL::jsonb;
          RETURN;
        END IF;
        SELECT c.status, c.offered_agent_id, c.external_id INTO v_status, v_offered_to, v_external
          FROM contacts c WHERE c.id = o.contact_id;
        IF v_status <> 'offered' OR v_offered_to IS DISTINCT FROM p_agent THEN
          RETURN QUERY SELECT 'contact_moved'::text, o.contact_id, o.line, o.state, o.end_reason, NULL::uuid, NULL::jsonb;
          RETURN;
        END IF;

        UPDATE offers SET state = 'accepted', resolved_at = now() WHERE offers.id = p_offer;
        UPDATE contacts c SET status = 'connected', agent_id = p_agent, offered_agent_id = NULL, work_open = true,
               connected_at = now(), routing_trace = c.routing_trace || tether_trace('accepted by ' || p_agent)
         WHERE c.id = o.contact_id;
        IF p_callback_url IS NOT NULL THEN
          v_body := jsonb_build_object('event', 'contact.connected', 'callId', v_external, 'contactId', o.contact_id,
                                       'agentId', p_agent);
          INSERT INTO outbound_webhooks (url, event, body) VALUES (p_callback_url, 'contact.connected', v_body)
          RETURNING outbound_webhooks.id INTO v_callback;
          INSERT INTO scheduled_jobs (kind, dedupe_key, payload, run_at)
          VALUES ('telephony.callback', v_callback::text, jsonb_build_object('id', v_callback), now() + interval '5 seconds');
        END IF;
        RETURN QUERY SELECT 'accepted'::text, o.contact_id, o.line, 'accepted'::text, NULL::text, v_callback, v_body;
      END
      $fn$;

      -- An agent rejects: 'rejected', or 'not_found' / 'ended' as for accept.
      CREATE FUNCTION tether_reject_offer(p_agent uuid, p_offer uuid, p_reason text)
      RETURNS TABLE (outcome text, contact_id uuid, line text, state text, end_reason text)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        o offers%ROWTYPE;
      BEGIN
        SELECT * INTO o FROM tether_lock_offer(p_offer);
        IF o.id IS NULL OR o.agent_id <> p_agent THEN
          RETURN QUERY SELECT 'not_found'::text, NULL::uuid, NULL::text, NULL::text, NULL::text;
          RETURN;
        END IF;
        IF o.state <> 'pending' THEN
          RETURN QUERY SELECT 'ended'::text, o.contact_id, o.line, o.state, o.end_reason;
          RETURN;
        END IF;
        PERFORM tether_end_offer(p_offer, 'rejected', p_reason, true);
        RETURN QUERY SELECT 'rejected'::text, o.contact_id, o.line, 'rejected'::text, p_reason;
      END
      $fn$;

      -- Expires one offer if it is still pending (and due, unless p_force): the agent is set away (evidently not at
      -- their desk) and the contact goes back to the queue. Returns the offer when this call expired it.
      CREATE FUNCTION tether_expire_offer(p_offer uuid, p_force boolean)
      RETURNS TABLE (offer_id uuid, contact_id uuid, agent_id uuid, line text, set_away boolean)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        o offers%ROWTYPE;
      BEGIN
        SELECT * INTO o FROM tether_lock_offer(p_offer);
        IF o.id IS NULL OR o.state <> 'pending' OR (NOT p_force AND o.expires_at > now()) THEN RETURN; END IF;
        PERFORM tether_end_offer(p_offer, 'expired', 'expired', true);
        UPDATE agent_presence p SET state = 'away', state_since = now() WHERE p.agent_id = o.agent_id AND p.state = 'available';
        RETURN QUERY SELECT o.id, o.contact_id, o.agent_id, o.line, FOUND;
      END
      $fn$;

      -- Every due pending offer, each expired in its own lock order; run by every instance's expiry sweep.
      CREATE FUNCTION tether_expire_due_offers(p_limit int)
      RETURNS TABLE (offer_id uuid, contact_id uuid, agent_id uuid, line text, set_away boolean)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_offer uuid;
      BEGIN
        FOR v_offer IN
          SELECT o.id FROM offers o WHERE o.state = 'pending' AND o.expires_at <= now() ORDER BY o.expires_at LIMIT p_limit
        LOOP
          RETURN QUERY SELECT * FROM tether_expire_offer(v_offer, false);
        END LOOP;
      END
      $fn$;

      -- Revokes every pending offer of an agent (disconnected, signed off, removed): not the agent's choice, so the
      -- contact may come back to them later (not excluded).
      CREATE FUNCTION tether_revoke_agent_offers(p_agent uuid, p_reason text)
      RETURNS TABLE (offer_id uuid, contact_id uuid, line text) LANGUAGE plpgsql AS $fn$
      DECLARE
        v_offer uuid;
        o offers%ROWTYPE;
      BEGIN
        FOR v_offer IN SELECT x.id FROM offers x WHERE x.agent_id = p_agent AND x.state = 'pending' LOOP
          SELECT * INTO o FROM tether_lock_offer(v_offer);
          CONTINUE WHEN o.id IS NULL OR o.state <> 'pending';
          PERFORM tether_end_offer(v_offer, 'revoked', p_reason, false);
          RETURN QUERY SELECT o.id, o.contact_id, o.line;
        END LOOP;
      END
      $fn$;

      -- The agent finished the contact: resolution and notes recorded, slot freed, wrap-up started (the line's
      -- wrapUpSeconds, read here so a PUT applies at once). 'completed', 'not_assigned' or 'already_completed'.
      CREATE FUNCTION tether_complete_contact(
        p_agent uuid, p_contact uuid, p_resolution text, p_notes text, p_default_wrap_up_seconds int
      ) RETURNS TABLE (outcome text, line text, agent_lines text[], wrap_up_until timestamptz)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        c contacts%ROWTYPE;
        v_wrap int;
        v_until timestamptz;
        v_lines text[];
      BEGIN
        SELECT * INTO c FROM contacts x WHERE x.id = p_contact FOR UPDATE;
        IF c.id IS NULL OR c.agent_id IS DISTINCT FROM p_agent THEN
          RETURN QUERY SELECT 'not_assigned'::text, NULL::text, NULL::text[], NULL::timestamptz;
          RETURN;
        END IF;
        IF NOT c.work_open THEN
          RETURN QUERY SELECT 'already_completed'::text, c.line, NULL::text[], NULL::timestamptz;
          RETURN;
        END IF;
        UPDATE contacts x SET work_open = false, resolution = p_resolution, notes = p_notes, completed_at = now(),
               status = 'ended', ended_at = coalesce(x.ended_at, now()), end_reason = coalesce(x.end_reason, 'completed'),
               routing_trace = x.routing_trace || tether_trace('completed by ' || p_agent || ': ' || p_resolution)
         WHERE x.id = p_contact;
        UPDATE agent_slots s SET used = greatest(s.used - 1, 0) WHERE s.agent_id = p_agent AND s.channel = c.channel;
        SELECT coalesce((lr.rules ->> 'wrapUpSeconds')::int, p_default_wrap_up_seconds) INTO v_wrap
          FROM line_routing lr WHERE lr.line = c.line;
        v_wrap := coalesce(v_wrap, p_default_wrap_up_seconds);
        UPDATE agent_presence p SET
               wrap_up_until = CASE WHEN v_wrap > 0 THEN now() + make_interval(secs => v_wrap) END,
               idle_since = now() + make_interval(secs => v_wrap)
         WHERE p.agent_id = p_agent RETURNING p.wrap_up_until INTO v_until;
        SELECT a.lines INTO v_lines FROM agents a WHERE a.id = p_agent;
        v_lines := coalesce(v_lines, ARRAY[c.line]);
        IF v_until IS NOT NULL THEN
          INSERT INTO scheduled_jobs (kind, dedupe_key, payload, run_at)
          VALUES ('agent.wrap-up-end', p_agent || '@' || tether_epoch_ms(v_until), jsonb_build_object('lines', v_lines), v_until)
          ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
        END IF;
        RETURN QUERY SELECT 'completed'::text, c.line, v_lines, v_until;
      END
      $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION tether_complete_contact(uuid, uuid, text, text, int);
      DROP FUNCTION tether_revoke_agent_offers(uuid, text);
      DROP FUNCTION tether_expire_due_offers(int);
      DROP FUNCTION tether_expire_offer(uuid, boolean);
      DROP FUNCTION tether_reject_offer(uuid, uuid, text);
      DROP FUNCTION tether_accept_offer(uuid, uuid, text);
      DROP FUNCTION tether_lock_offer(uuid);
      DROP FUNCTION tether_end_offer(uuid, text, text, boolean);
      DROP FUNCTION tether_commit_offers(text, uuid[], uuid[], text[], text[], int, text[], timestamptz[], int);
      DROP FUNCTION tether_routing_snapshot(text, bigint, int, int);
      DROP FUNCTION tether_receive_call(text, text, text, text, text, jsonb, int, jsonb, int, boolean, int, int);
      DROP FUNCTION tether_call_row(uuid);
      DROP FUNCTION tether_recent_contacts(uuid, uuid, int);
      DROP FUNCTION tether_epoch_ms(timestamptz);
      DROP FUNCTION tether_trace(text);
      DROP INDEX offers_pending_expiry;
      DROP INDEX agent_presence_available_idle;
    `);
  }
}
