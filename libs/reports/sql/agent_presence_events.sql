-- tether_agent_presence_events(): the presence history's writer, a row trigger on agent_presence (AFTER INSERT, and
-- AFTER UPDATE when the state changes) that appends the new state to agent_presence_events at its state_since, in
-- the same transaction as the change (migration 1764004300000). The updates that change no state (idle_since,
-- wrap_up_until, disconnected_at: every completion writes them) do not even call it, so the lifecycle's hot path
-- pays nothing for it. Occupancy's staffed time is read from it (tether_agent_occupancy).
-- Outcome: NULL (an AFTER trigger); no codes. Locks: none.

CREATE OR REPLACE FUNCTION tether_agent_presence_events() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO agent_presence_events (at, agent_id, state) VALUES (NEW.state_since, NEW.agent_id, NEW.state);
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS agent_presence_events_on_insert ON agent_presence;
CREATE TRIGGER agent_presence_events_on_insert AFTER INSERT ON agent_presence
  FOR EACH ROW EXECUTE FUNCTION tether_agent_presence_events();
DROP TRIGGER IF EXISTS agent_presence_events_on_update ON agent_presence;
CREATE TRIGGER agent_presence_events_on_update AFTER UPDATE ON agent_presence
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION tether_agent_presence_events();
