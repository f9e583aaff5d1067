import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';
import { HISTORY_TRIGGERS, setEventHistory } from './event-history';

/**
 * The benches measure the history's cost as "on" minus "off": "off" must write nothing and run none of the
 * history's triggers, or the cost measured is too small. Real migrations and SQL sources (libs/reports/sql).
 */
describe('bench/common/event-history: the history switch', () => {
  let db: SqlTestDatabase;
  const switchTo = (enabled: boolean) => setEventHistory((text) => db.query(text), enabled);
  const count = async (table: 'contact_events' | 'agent_presence_events'): Promise<number> =>
    Number((await db.one<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))!.n);

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());
  afterEach(() => switchTo(true));

  it('knows every trigger on the lifecycle tables that writes the history', async () => {
    const writers = await db.query<{ table: string; trigger: string }>(
      `SELECT c.relname AS table, t.tgname AS trigger
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND c.relname IN ('contacts', 'offers', 'agent_presence')
          AND (p.prosrc ILIKE '%contact_events%' OR p.prosrc ILIKE '%agent_presence_events%')`,
    );
    expect(writers.length).toBeGreaterThan(0);
    const names = (pairs: readonly (readonly [string, string])[]): string[] =>
      pairs.map(([table, trigger]) => `${table}.${trigger}`).sort();
    expect(names(writers.map((w) => [w.table, w.trigger] as const))).toEqual(names(HISTORY_TRIGGERS));
  });

  it('off: a contact, its offer, its state changes, a direct insert and presence write nothing; on again: they do', async () => {
    const write = async (): Promise<void> => {
      const agentId = await db.fixtures.agent();
      const { contactId } = await db.fixtures.offered(agentId);
      await db.query(`UPDATE offers SET state = 'accepted', resolved_at = now() WHERE contact_id = $1`, [
        contactId,
      ]);
      await db.query(
        `UPDATE contacts SET status = 'connected', agent_id = $2, connected_at = now() WHERE id = $1`,
        [contactId, agentId],
      );
      await db.query(`UPDATE agent_presence SET state = 'away' WHERE agent_id = $1`, [agentId]);
      // what the hot-path functions do themselves (tether_receive_call and the others insert their own events)
      await db.query(
        `INSERT INTO contact_events (kind, contact_id, line, channel) VALUES ('queued', $1, 'sales', 'voice')`,
        [contactId],
      );
    };

    await switchTo(false);
    const before = { events: await count('contact_events'), presence: await count('agent_presence_events') };
    await write();
    expect(await count('contact_events')).toBe(before.events);
    expect(await count('agent_presence_events')).toBe(before.presence);

    await switchTo(true);
    await write();
    // the direct insert and the triggers' (today queued, offered and connected: which kinds the triggers write and
    // which the functions write may move between them, the switch must silence both)
    expect(await count('contact_events')).toBeGreaterThanOrEqual(before.events + 2);
    expect(await count('agent_presence_events')).toBe(before.presence + 2);
  });
});
