-- One contact lifecycle, as Tether runs it against PostgreSQL, for pgbench (-M extended: parameters sent the way
-- node-postgres sends them). The statements are those of libs/contacts and the libs it calls, in the same order
-- and transactions, for a first-time caller on the sales line routed to an idle agent (sticky enabled, no wrap-up,
-- callback URL set). One script run = one lifecycle, so pgbench's TPS is the DB floor in lifecycles/s. Mirrors the
-- code as of commit 435d589 (free agents only in the pass, expiry timer dropped on accept, handle time cached, offer
-- payload in two queries, no look-up or last-agent query on a first call); the lifecycle part's pg_stat_statements
-- table is the live list of what Tether runs, to re-sync this file against.
-- Approximations: literals instead of some parameters; the scheduler's due-job claim runs once (for the callback);
-- the queue snapshots (per 200 ms, not per contact) and the line's handle-time read (cached 10 s) are left out.
-- Seeded by pgbench.bench.ts: 200 agents, ids lpad(to_hex(n), 32, '0')::uuid, available and connected, with a voice
-- slot that never runs out.
-- Run with -D with_pass=1: one routing pass (advisory lock, rules, free agents, waiting contacts) per lifecycle, as
-- the dispatcher does when passes are not coalesced; -D with_pass=0: only the per-contact statements of the pass
-- (its commitOffer writes), as if passes were perfectly coalesced: the two bracket what Tether's SQL can do.
\set n random(1, 9000000000000000)
\set agent random(1, 200)

-- ContactLifecycleService.receiveCall (no look-up first: the insert's ON CONFLICT decides)
BEGIN;
-- CustomerRepository.identifyByPhone: an unknown number becomes a provisional customer
SELECT c.id, c.known FROM customer_identities i JOIN customers c ON c.id = i.customer_id
 WHERE i.kind = 'phone' AND i.value = '+1' || :n;
INSERT INTO customers (known) VALUES (false) RETURNING id AS customer_id \gset
INSERT INTO customer_identities (kind, value, customer_id) VALUES ('phone', '+1' || :n, :customer_id)
    ON CONFLICT (kind, value) DO NOTHING RETURNING customer_id;
-- LineRoutingRepository.get
SELECT rules, version, updated_at FROM line_routing WHERE line = 'sales';
-- (ContactLifecycleService.lastAgent is skipped for a caller created in this transaction)
INSERT INTO contacts (external_id, channel, line, customer_id, from_address, to_address, ivr, priority, required_skills,
                      status, sticky_agent_id, sticky_cause, routing_trace)
VALUES ('pgb-' || :n, 'voice', 'sales', :customer_id, '+1' || :n, '+15550000001',
        '{"intent":"billing","digits":"2","language":"en"}', 0, '{}', 'queued', NULL, NULL,
        '[{"at":"2026-01-01T00:00:00.000Z","text":"arrived; unknown customer, no recent agent on sales"}]')
    ON CONFLICT ON CONSTRAINT contacts_external_unique DO NOTHING RETURNING id AS contact_id, enqueued_at \gset
COMMIT;
-- getRow + view(): the webhook's answer with queue position and estimated wait
SELECT c.id, c.external_id, c.channel, c.line, c.customer_id, c.from_address, c.ivr, c.priority, c.status, c.end_reason,
       c.sticky_agent_id, c.offered_agent_id, c.agent_id, c.work_open, c.announcement, c.enqueued_at, c.routing_trace, cu.known
  FROM contacts c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = :contact_id;
SELECT
  (SELECT count(*)::int FROM contacts q WHERE q.line = 'sales' AND q.status = 'queued'
     AND (q.priority > 0 OR (q.priority = 0 AND (q.enqueued_at, q.id) < (:enqueued_at::timestamptz, :contact_id::uuid)))) AS ahead,
  (SELECT count(*)::int FROM agents a JOIN agent_presence p ON p.agent_id = a.id
     WHERE a.deleted_at IS NULL AND a.lines @> ARRAY['sales']::text[] AND p.state <> 'offline') AS agents;

-- ContactDispatcher.pass -> decideAndCommit: one routing pass, under the line's advisory lock
BEGIN;
\if :with_pass
SELECT pg_advisory_xact_lock(7246318101);
SELECT rules, version, updated_at FROM line_routing WHERE line = 'sales';
-- loadAgents(FREE_AGENTS_OF_LINE): every seeded agent is free here, as nearly all are in the lifecycle part's runs
SELECT a.id, a.lines, a.skills, a.capacity, p.state, p.idle_since, p.wrap_up_until,
       EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = a.id) AS connected,
       COALESCE((SELECT jsonb_object_agg(s.channel, s.used) FROM agent_slots s WHERE s.agent_id = a.id), '{}'::jsonb) AS load
  FROM agents a JOIN agent_presence p ON p.agent_id = a.id
 WHERE a.deleted_at IS NULL AND p.state <> 'offline'
   AND a.lines @> ARRAY['sales']::text[] AND p.state = 'available' AND (p.wrap_up_until IS NULL OR p.wrap_up_until <= now())
   AND EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = a.id)
   AND EXISTS (SELECT 1 FROM agent_slots s WHERE s.agent_id = a.id AND s.used < s.capacity);
SELECT id, channel, priority, enqueued_at, required_skills, sticky_agent_id, sticky_cause, excluded_agent_ids
  FROM contacts WHERE line = 'sales' AND status = 'queued' ORDER BY priority DESC, enqueued_at, id LIMIT 800;
\endif
-- commitOffer: contact, slot, offer, expiry timer
UPDATE contacts SET status = 'offered', offered_agent_id = lpad(to_hex(:agent::int), 32, '0')::uuid, offered_at = now(),
       routing_trace = routing_trace || '[{"at":"2026-01-01T00:00:00.000Z","text":"offered: longest idle of the eligible agents"}]'::jsonb
 WHERE id = :contact_id AND status = 'queued' RETURNING id;
UPDATE agent_slots SET used = used + 1
 WHERE agent_id = lpad(to_hex(:agent::int), 32, '0')::uuid AND channel = 'voice' AND used < capacity RETURNING used;
INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, expires_at)
VALUES (:contact_id, lpad(to_hex(:agent::int), 32, '0')::uuid, 'sales', 'voice', 'pending', 'skills',
        'longest idle of the eligible agents', now() + make_interval(secs => 20))
RETURNING id AS offer_id, expires_at \gset
INSERT INTO scheduled_jobs (kind, dedupe_key, payload, run_at)
VALUES ('offer.expire', :offer_id, jsonb_build_object('offerId', :offer_id::text), :expires_at::timestamptz)
    ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
COMMIT;
-- OfferPayloadBuilder.build: the offer with its contact and customer card, then the caller's recent history
SELECT o.id AS offer_id, o.expires_at, o.reason, o.trace, c.id AS contact_id, c.line, c.channel, c.external_id,
       c.ivr, c.enqueued_at, c.announcement, c.customer_id, c.from_address,
       cu.name AS customer_name, cu.known AS customer_known, cu.external_ref AS customer_ref
  FROM offers o JOIN contacts c ON c.id = o.contact_id JOIN customers cu ON cu.id = c.customer_id WHERE o.id = :offer_id;
SELECT id, line, channel, agent_id, resolution, notes, status, created_at FROM contacts
 WHERE customer_id = :customer_id AND (:contact_id::uuid IS NULL OR id <> :contact_id::uuid) ORDER BY created_at DESC, id DESC LIMIT 5;

-- OfferService.accept: lockOffer (contact row, then offer row), transitions, callback outbox + its job
BEGIN;
SELECT contact_id FROM offers WHERE id = :offer_id;
SELECT 1 FROM contacts WHERE id = :contact_id FOR UPDATE;
SELECT id, contact_id, agent_id, line, channel, state, expires_at, end_reason, expires_at <= now() AS expired
  FROM offers WHERE id = :offer_id FOR UPDATE;
UPDATE offers SET state = 'accepted', resolved_at = now() WHERE id = :offer_id;
-- cancelExpiry
DELETE FROM scheduled_jobs WHERE kind = 'offer.expire' AND dedupe_key = :offer_id::text;
UPDATE contacts SET status = 'connected', agent_id = lpad(to_hex(:agent::int), 32, '0')::uuid, offered_agent_id = NULL, work_open = true,
       connected_at = now(), routing_trace = routing_trace || '[{"at":"2026-01-01T00:00:00.000Z","text":"accepted"}]'::jsonb
 WHERE id = :contact_id AND status = 'offered' AND offered_agent_id = lpad(to_hex(:agent::int), 32, '0')::uuid RETURNING external_id;
INSERT INTO outbound_webhooks (url, event, body)
VALUES ('http://127.0.0.1:9/telephony/events', 'contact.connected',
        jsonb_build_object('event', 'contact.connected', 'callId', 'pgb-' || :n, 'contactId', :contact_id::text))
RETURNING id AS webhook_id \gset
INSERT INTO scheduled_jobs (kind, dedupe_key, payload, run_at)
VALUES ('telephony.callback', :webhook_id, jsonb_build_object('id', :webhook_id::text), now())
    ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id AS callback_job_id \gset
COMMIT;

-- DurableScheduler.pollOnce (woken by the accept) + TelephonyCallbackService.deliver + the job's delete
UPDATE scheduled_jobs SET locked_until = now() + make_interval(secs => 30), locked_by = 'pgbench', attempts = attempts + 1
 WHERE id IN (SELECT id FROM scheduled_jobs
               WHERE run_at <= now() AND (locked_until IS NULL OR locked_until < now())
                 AND kind = ANY(ARRAY['routing.sticky-wait', 'offer.expire', 'agent.wrap-up-end', 'telephony.callback', 'agent.disconnect-grace'])
               ORDER BY run_at LIMIT 100 FOR UPDATE SKIP LOCKED)
RETURNING id, kind, payload, attempts, dedupe_key;
UPDATE outbound_webhooks SET attempts = attempts + 1 WHERE id = :webhook_id RETURNING url, body, status, created_at;
UPDATE outbound_webhooks SET status = 'delivered', delivered_at = now() WHERE id = :webhook_id;
DELETE FROM scheduled_jobs WHERE id = :callback_job_id;

-- ContactLifecycleService.complete
BEGIN;
SELECT c.id, c.external_id, c.channel, c.line, c.customer_id, c.from_address, c.ivr, c.priority, c.status, c.end_reason,
       c.sticky_agent_id, c.offered_agent_id, c.agent_id, c.work_open, c.announcement, c.enqueued_at, c.routing_trace, cu.known,
       c.completed_at IS NOT NULL AS completed
  FROM contacts c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = :contact_id FOR UPDATE OF c;
UPDATE contacts SET work_open = false, resolution = 'resolved', notes = NULL, completed_at = now(), status = 'ended',
       ended_at = COALESCE(ended_at, now()), end_reason = COALESCE(end_reason, 'completed'),
       routing_trace = routing_trace || '[{"at":"2026-01-01T00:00:00.000Z","text":"completed: resolved"}]'::jsonb
 WHERE id = :contact_id;
UPDATE agent_slots SET used = GREATEST(used - 1, 0) WHERE agent_id = lpad(to_hex(:agent::int), 32, '0')::uuid AND channel = 'voice';
SELECT rules, version, updated_at FROM line_routing WHERE line = 'sales';
UPDATE agent_presence SET wrap_up_until = NULL, idle_since = now() WHERE agent_id = lpad(to_hex(:agent::int), 32, '0')::uuid
RETURNING wrap_up_until;
SELECT lines FROM agents WHERE id = lpad(to_hex(:agent::int), 32, '0')::uuid;
COMMIT;
