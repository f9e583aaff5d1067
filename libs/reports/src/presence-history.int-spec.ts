import type { Sql } from '@tether/persistence';
import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';
import { presenceHistory } from './presence-history';

/**
 * The presence history a replay reads (presence-history.ts) against the real PostgreSQL with the real migrations:
 * each agent's state at the period's start (its latest change before it, dated then), then its changes in the
 * period in time order; other agents and changes after the period are left out.
 */
describe('presenceHistory', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  const at = (time: string) => new Date(`2026-11-02T${time}Z`);

  it("reads each agent's state at the start, then the period's changes in order", async () => {
    const a = await db.fixtures.agent({ name: 'history a', state: 'offline' });
    const b = await db.fixtures.agent({ name: 'history b', state: 'offline' });
    const other = await db.fixtures.agent({ name: 'history other', state: 'offline' });
    await db.query(`DELETE FROM agent_presence_events WHERE agent_id = ANY($1::uuid[])`, [[a, b, other]]);
    await db.query(
      `INSERT INTO agent_presence_events (at, agent_id, state) VALUES
         ($1, $4, 'available'), ($2, $4, 'away'),           -- a: away at the start (the later one counts)
         ($3, $4, 'available'),                              -- a: back in the period
         ($3, $5, 'available'),                              -- b: nothing before the start: offline until then
         ($2, $6, 'available'),                              -- another agent: not asked for
         ('2026-11-02T13:00:00Z', $4, 'offline')             -- after the period
      `,
      [at('07:00:00'), at('07:30:00'), at('09:15:00'), a, b, other],
    );
    const history = await presenceHistory(db as unknown as Sql, [a, b], at('08:00:00'), at('12:00:00'));
    // in time order, agents of one instant by id
    const [first, second] = [a, b].sort();
    expect(history).toEqual([
      { agentId: a, at: at('08:00:00'), state: 'away' },
      { agentId: first, at: at('09:15:00'), state: 'available' },
      { agentId: second, at: at('09:15:00'), state: 'available' },
    ]);
  });
});
