import type { DataSource } from 'typeorm';
import { createDataSource } from '@tether/persistence';
import type { EventBus } from '@tether/realtime';
import type { DurableScheduler } from '@tether/scheduler';
import { createSqlTestDatabase, type SqlTestDatabase } from '@tether/testing';
import { CaseService } from './case.service';

/**
 * The case notices a connecting socket is sent, against a real PostgreSQL: the agents asked about together (a
 * connect storm) are read in one statement, each caller gets exactly its own agent's undelivered notices, oldest
 * first; the deliveries marked together are written in one statement. Positive control: one after the other, one
 * statement each.
 */
describe('CaseService.pendingNotices: concurrent reads in one statement (real PostgreSQL)', () => {
  let db: SqlTestDatabase;
  let source: DataSource;
  let cases: CaseService;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    source = await createDataSource(db.url, 4, 'notice-storm').initialize();
    cases = new CaseService(source, {} as EventBus, {} as DurableScheduler);
  }, 60_000);
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  async function caseOwnedBy(agentId: string, subject: string): Promise<string> {
    const [{ id }] = await db.query<{ id: string }>(
      `INSERT INTO cases (customer_id, line, subject, owner_id) VALUES ($1, 'sales', $2, $3) RETURNING id`,
      [await db.fixtures.customer(), subject, agentId],
    );
    return id;
  }

  async function notice(agentId: string, caseId: string, byAgentId: string | null = null): Promise<string> {
    const [{ id }] = await db.query<{ id: string }>(
      `INSERT INTO case_notices (agent_id, case_id, kind, by_agent_id)
       VALUES ($1, $2, CASE WHEN $3::uuid IS NULL THEN 'case_overdue' ELSE 'case_handed_over' END, $3)
       RETURNING id::text`,
      [agentId, caseId, byAgentId],
    );
    return id;
  }

  it('N agents in the same tick: one statement; each gets its own undelivered notices; deliveries in one statement', async () => {
    const [a, b, c] = [await db.fixtures.agent(), await db.fixtures.agent(), await db.fixtures.agent()];
    const caseOfA = await caseOwnedBy(a, 'broken router');
    const caseOfB = await caseOwnedBy(b, 'refund');
    const a1 = await notice(a, caseOfA);
    const b1 = await notice(b, caseOfB, a);
    const a2 = await notice(a, caseOfA, b);
    const delivered = await notice(b, caseOfB);
    await db.query(`UPDATE case_notices SET delivered_at = now() WHERE id = $1`, [delivered]);

    const before = cases.noticeBatches;
    const [forA, forB, forC, forAAgain] = await Promise.all(
      [a, b, c, a].map((id) => cases.pendingNotices(id)),
    );
    expect(cases.noticeBatches - before).toBe(1);
    expect(forA.map((n) => n.noticeId)).toEqual([a1, a2]);
    expect(forA.every((n) => n.caseId === caseOfA)).toBe(true);
    expect(forAAgain.map((n) => n.noticeId)).toEqual([a1, a2]);
    expect(forB).toEqual([
      expect.objectContaining({ noticeId: b1, caseId: caseOfB, kind: 'case_handed_over' }),
    ]);
    expect(forC).toEqual([]);

    const deliveriesBefore = cases.deliveryBatches;
    await Promise.all([cases.markDelivered(forA.map((n) => n.noticeId)), cases.markDelivered([b1])]);
    expect(cases.deliveryBatches - deliveriesBefore).toBe(1);
    expect(await Promise.all([a, b].map((id) => cases.pendingNotices(id)))).toEqual([[], []]);
  });

  it('positive control: reads one after the other take one statement each', async () => {
    const agentId = await db.fixtures.agent();
    const noticeId = await notice(agentId, await caseOwnedBy(agentId, 'late delivery'));
    const before = cases.noticeBatches;
    for (let i = 0; i < 3; i++)
      expect((await cases.pendingNotices(agentId)).map((n) => n.noticeId)).toEqual([noticeId]);
    expect(cases.noticeBatches - before).toBe(3);
  });
});
