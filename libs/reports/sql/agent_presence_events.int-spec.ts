import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * The presence history's trigger (agent_presence_events.sql) against the real PostgreSQL with the real migrations
 * and SQL sources: a new agent's presence and each state change are recorded at their state_since; the updates the
 * lifecycle makes on every completion (idle_since, wrap_up_until) write nothing.
 */
describe('agent_presence_events trigger', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const history = (agentId: string) =>
    db.query<{ state: string; at: Date }>(
      `SELECT state, at FROM agent_presence_events WHERE agent_id = $1 ORDER BY id`,
      [agentId],
    );

  it('records each state change, and nothing for the updates that change no state', async () => {
    const agentId = await db.fixtures.agent({ name: 'presence', state: 'offline' });
    const initial = await history(agentId);
    expect(initial.map((e) => e.state)).toEqual(['offline']); // the fixture's presence row
    const since = new Date('2026-11-02T08:00:00Z');
    await db.query(`UPDATE agent_presence SET state = 'available', state_since = $2 WHERE agent_id = $1`, [
      agentId,
      since,
    ]);
    await db.query(
      `UPDATE agent_presence SET idle_since = now(), wrap_up_until = now() + interval '5 seconds' WHERE agent_id = $1`,
      [agentId],
    );
    // the same state again (a client repeating itself) is no change either
    await db.query(`UPDATE agent_presence SET state = 'available' WHERE agent_id = $1`, [agentId]);
    await db.query(`UPDATE agent_presence SET state = 'away', state_since = $2 WHERE agent_id = $1`, [
      agentId,
      new Date('2026-11-02T09:00:00Z'),
    ]);
    const after = (await history(agentId)).slice(initial.length);
    expect(after).toEqual([
      { state: 'available', at: since },
      { state: 'away', at: new Date('2026-11-02T09:00:00Z') },
    ]);
  });
});
