-- tether_cross_channel_allows(p_rule, p_load, p_channel): whether a line's cross-channel capacity rule
-- (`crossChannel` in its routing rules: { blocks?: { <held>: [<channel>...] }, weights?: { <channel>: n },
-- maxWeight?: n }) lets an agent who holds p_load (channel -> contacts held, agent_slots.used) be offered one more
-- contact of p_channel. Each channel's own capacity is not checked here (agent_slots' conditional update does that).
-- The same arithmetic as applyCrossChannel in libs/routing (the engine's decision); tether_commit_offers commits it.
--
-- Outcome: false when a held channel blocks p_channel, or when the weights held plus p_channel's (a channel not
-- named weighs 1) exceed maxWeight (a channel of weight 0 is never held back by the total); else true. A NULL rule
-- allows everything. Locks: none (immutable).

CREATE OR REPLACE FUNCTION tether_cross_channel_allows(p_rule jsonb, p_load jsonb, p_channel text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT p_rule IS NULL OR (
    NOT EXISTS (SELECT 1 FROM jsonb_each(coalesce(p_rule -> 'blocks', '{}'::jsonb)) b(held, blocked)
                 WHERE coalesce((p_load ->> b.held)::int, 0) > 0 AND jsonb_typeof(b.blocked) = 'array'
                   AND b.blocked ? p_channel)
    AND (p_rule -> 'maxWeight' IS NULL
         OR coalesce((p_rule -> 'weights' ->> p_channel)::numeric, 1) = 0
         OR (SELECT coalesce(sum(l.value::int * coalesce((p_rule -> 'weights' ->> l.key)::numeric, 1)), 0)
               FROM jsonb_each_text(coalesce(p_load, '{}'::jsonb)) l)
            + coalesce((p_rule -> 'weights' ->> p_channel)::numeric, 1) <= (p_rule ->> 'maxWeight')::numeric))
$fn$;
