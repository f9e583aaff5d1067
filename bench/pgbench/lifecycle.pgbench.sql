-- One contact lifecycle, as Tether runs it against PostgreSQL, for pgbench (-M prepared: each statement prepared
-- once per connection, as Tether's pool does; -M extended with --pg-protocol extended: unnamed, as node-postgres sends
-- a statement without a name). The statements are those of libs/contacts and the libs it calls, in the same order
-- and transactions, for a first-time caller on the sales line routed to an idle agent (sticky enabled, no wrap-up,
-- callback URL set). One script run = one lifecycle, so pgbench's TPS is the DB floor in lifecycles/s. Mirrors the
-- code since the hot paths became PL/pgSQL functions (libs/*/sql/*.sql): one call per step; the lifecycle part's
-- pg_stat_statements table is the live list of what Tether runs, to re-sync this file against, and
-- lifecycle-script.int-spec.ts checks every call here against the functions' arguments.
-- Left out (amortised, not per contact): the queue snapshots (per 200 ms), the line's handle-time read (cached 5 s),
-- the offer-expiry sweep (one statement per second per process).
-- Seeded by pgbench.bench.ts: 200 agents, ids lpad(to_hex(n), 32, '0')::uuid, available and connected, with a voice
-- slot that never runs out.
-- Run with -D with_pass=1: one routing snapshot (advisory lock, free agents, waiting contacts) per lifecycle, as the
-- dispatcher does when passes are not coalesced; -D with_pass=0: only the pass's commit, as if passes were perfectly
-- coalesced: the two bracket what Tether's SQL can do.
\set n random(1, 9000000000000000)
\set agent random(1, 200)

-- ContactLifecycleService.receiveCall: the call's lock, identify, last agent (a fact), insert
SELECT outcome, contact_id FROM tether_receive_call('sales', 'pgb-' || :n, '+1' || :n, '+1' || :n, '+15550000001',
  '{"intent":"billing","digits":"2","language":"en"}', 0, '{}', 1, 'arrived on line sales',
  'the caller had already hung up') \gset
-- getRow + view(): the webhook's answer with its queue position
SELECT * FROM tether_call_row(:contact_id);

-- ContactDispatcher.pass: snapshot under the line's advisory lock, then every decision committed at once
BEGIN;
\if :with_pass
SELECT tether_routing_snapshot('sales', -2639711842066353949, 200, 4, 8, false); -- lineLockKey('sales'), the engine's bound
\endif
SELECT offer_id FROM tether_commit_offers('sales', ARRAY[:contact_id]::uuid[],
  ARRAY[lpad(to_hex(:agent::int), 32, '0')]::uuid[], ARRAY['skills'], ARRAY['longest idle of the eligible agents'],
  ARRAY['offered: longest idle of the eligible agents'], 20, 'routing.sticky-wait', ARRAY[]::text[],
  ARRAY[]::timestamptz[], NULL, NULL) \gset
COMMIT;
-- the agent's gateway reads the offer's payload (offer.created carries ids only): OfferPayloadBuilder.buildPending,
-- one query per batch of announcements, here a batch of one
SELECT o.id, o.expires_at, o.reason, o.trace, c.id, c.line, c.channel, c.external_id, c.ivr, c.enqueued_at,
       c.announcement, c.customer_id, c.from_address, cu.name, cu.known, cu.external_ref,
       tether_recent_contacts(c.customer_id, c.id, 5)
  FROM offers o JOIN contacts c ON c.id = o.contact_id JOIN customers cu ON cu.id = c.customer_id
 WHERE o.id = ANY(ARRAY[:offer_id]::uuid[]) AND o.state = 'pending' AND o.expires_at > now()
 ORDER BY o.created_at, o.id;

-- OfferService.accept (outbox row and its safety-net job written inside)
SELECT outcome, callback_id FROM tether_accept_offer(lpad(to_hex(:agent::int), 32, '0')::uuid, :offer_id,
  'http://127.0.0.1:9/telephony/events') \gset
-- TelephonyCallbackService.deliverDirect: read the row, POST, mark delivered and drop the job in one statement
SELECT url, body FROM outbound_webhooks WHERE id = :callback_id AND status = 'pending';
WITH delivered AS (
  UPDATE outbound_webhooks SET status = 'delivered', delivered_at = now(), attempts = attempts + 1 WHERE id = :callback_id)
SELECT tether_cancel_job('telephony.callback', :callback_id::text);

-- ContactLifecycleService.complete
SELECT outcome, line, agent_lines, wrap_up_until
  FROM tether_complete_contact(lpad(to_hex(:agent::int), 32, '0')::uuid, :contact_id, 'resolved', NULL, 0, NULL, NULL);
