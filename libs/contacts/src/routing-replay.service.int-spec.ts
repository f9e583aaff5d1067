import { expect } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';
import { LineRoutingRepository } from './line-routing.repository';
import { RoutingReplayService } from './routing-replay.service';

/**
 * What a replay reads, against the real PostgreSQL with the real migrations: a scripted morning on sales (2026-11-02)
 * with each recorded case the reader must tell apart, then a replay of it under the live rules and a draft. Times
 * are UTC; A and B serve sales, B also service.
 *
 *   k1  sales 09:00:00, last agent A; A's offer (sticky) accepted 09:00:10, completed 09:02:10 (130 s)
 *       the customer has an open service case since 08:00 and a sales case resolved at 08:30
 *   k2  sales 09:00:05, hung up unanswered at 09:01:05
 *   k3  sales 09:10:00, redirected to service by the rules then (routed_line service), nobody answered on sales
 *   k4  service 09:30:00 redirected to sales: B's offer accepted 09:30:02, completed 09:31:02 (60 s)
 *   k5  service 10:00:00, B answers at once, completes 10:10:00: B's work for another line
 *   k8  sales 10:05:00, hung up at 10:06:00; A went away at 09:50: only B is signed in, busy on k5 until 10:10
 *   out of the replay: a sales contact of the next day, an outbound sales call
 */
describe('RoutingReplayService over a scripted morning', () => {
  let db: SqlTestDatabase;
  let replayer: RoutingReplayService;
  const at = (time: string, date = '2026-11-02') => new Date(`${date}T${time}Z`);
  let A: string, B: string;
  const ids: Record<string, string> = {};

  const accepted = (contactId: string, agentId: string, time: Date, reason: string) =>
    db.query(
      `INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at,
                           resolved_at)
       SELECT c.id, $2, coalesce(c.routed_line, c.line), c.channel, 'accepted', $3, 'script', $4, $4, $4
         FROM contacts c WHERE c.id = $1`,
      [contactId, agentId, reason, time],
    );

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    const dataSource = {
      manager: { query: (text: string, params?: unknown[]) => db.query(text, params) },
    } as unknown as DataSource;
    replayer = new RoutingReplayService(dataSource, new LineRoutingRepository(dataSource));
    A = await db.fixtures.agent({ name: 'A', lines: ['sales'], skills: { billing: 8 } });
    B = await db.fixtures.agent({ name: 'B', lines: ['sales', 'service'] });
    await db.query(`DELETE FROM agent_presence_events`);
    await db.query(
      `INSERT INTO agent_presence_events (at, agent_id, state)
       VALUES ($1, $3, 'available'), ($1, $4, 'available'), ($2, $3, 'away')`,
      [at('07:00:00'), at('09:50:00'), A, B],
    );

    const c1 = await db.fixtures.customer();
    await db.query(
      `INSERT INTO cases (customer_id, line, subject, status, created_at) VALUES ($1, 'service', 'open one', 'open', $2)`,
      [c1, at('08:00:00')],
    );
    await db.query(
      `INSERT INTO cases (customer_id, line, subject, status, created_at, resolved_at)
       VALUES ($1, 'sales', 'resolved one', 'resolved', $2, $3)`,
      [c1, at('07:00:00'), at('08:30:00')],
    );
    ids.k1 = await db.fixtures.contact({
      customerId: c1,
      createdAt: at('09:00:00'),
      status: 'ended',
      lastAgentId: A,
      lastAgentAt: at('08:00:00', '2026-11-01'),
      agentId: A,
      connectedAt: at('09:00:10'),
    });
    await db.query(`UPDATE contacts SET completed_at = $2 WHERE id = $1`, [ids.k1, at('09:02:10')]);
    await accepted(ids.k1, A, at('09:00:10'), 'sticky');

    ids.k2 = await db.fixtures.contact({
      createdAt: at('09:00:05'),
      status: 'ended',
      endedAt: at('09:01:05'),
      endReason: 'abandoned',
    });
    ids.k3 = await db.fixtures.contact({ createdAt: at('09:10:00'), status: 'ended', endReason: 'hangup' });
    await db.query(`UPDATE contacts SET routed_line = 'service', ended_at = $2 WHERE id = $1`, [
      ids.k3,
      at('09:12:00'),
    ]);

    ids.k4 = await db.fixtures.contact({
      line: 'service',
      createdAt: at('09:30:00'),
      status: 'ended',
      agentId: B,
      connectedAt: at('09:30:02'),
    });
    await db.query(`UPDATE contacts SET routed_line = 'sales', completed_at = $2 WHERE id = $1`, [
      ids.k4,
      at('09:31:02'),
    ]);
    await accepted(ids.k4, B, at('09:30:02'), 'skills');

    ids.k5 = await db.fixtures.contact({
      line: 'service',
      createdAt: at('10:00:00'),
      status: 'ended',
      agentId: B,
      connectedAt: at('10:00:00'),
    });
    await db.query(`UPDATE contacts SET completed_at = $2 WHERE id = $1`, [ids.k5, at('10:10:00')]);
    await accepted(ids.k5, B, at('10:00:00'), 'skills');

    ids.k8 = await db.fixtures.contact({
      createdAt: at('10:05:00'),
      status: 'ended',
      endedAt: at('10:06:00'),
      endReason: 'abandoned',
    });
    await db.fixtures.contact({ createdAt: at('09:00:00', '2026-11-03'), status: 'ended' });
    const outbound = await db.fixtures.contact({ createdAt: at('09:20:00'), status: 'ended' });
    await db.query(`UPDATE contacts SET direction = 'outbound' WHERE id = $1`, [outbound]);

    // the draft: customers with an open service case first, by a rule
    await db.query(
      `INSERT INTO line_routing_drafts (line, rules, author, based_on_version)
       VALUES ('sales', $1, 'script', 0)`,
      [JSON.stringify({ rules: [{ name: 'open-service', when: { openCaseOn: ['service'] }, priority: 5 }] })],
    );
  }, 60_000);
  afterAll(() => db?.drop());

  it('reads the period (arrivals and redirected-in, inbound), replays it twice and compares', async () => {
    const report = await replayer.replay('sales', {
      from: at('00:00:00'),
      to: at('00:00:00', '2026-11-03'),
      draft: true,
    });
    expect(report).toMatchObject({ line: 'sales', contacts: 5, agents: 2, draftVersion: null });
    // what happened: k1 (10 s, sticky) and k4 (2 s) answered; k2 and k8 hung up; k3 went to service
    expect(report.recorded).toMatchObject({
      answered: 2,
      abandoned: 2,
      otherLine: 1,
      stickyHits: 1,
      waitSeconds: { mean: 6, p50: 2, p90: 10, max: 10 },
    });
    // the live rules (no redirect): k1 to A (sticky) at once, k2 to B at once, k3 stays on sales and is answered,
    // k4 to a free agent at once; k8 waits for B, busy for service until 10:10, and hangs up at 10:06 as it did
    expect(report.baseline).toMatchObject({
      answered: 4,
      abandoned: 1,
      otherLine: 0,
      stickyHits: 1,
      waitSeconds: { mean: 0, max: 0 },
    });
    // calibration: the baseline gives k1 to A and k4 to B, as happened; its waits are 6 s shorter on average
    expect(report.calibration).toEqual({ meanWaitSeconds: -6, serviceLevel: 0.3, sameAgent: 1 });
    // the draft: k1's customer has an open service case at 09:00 (the sales case was resolved at 08:30): rule
    // open-service; everything else as the baseline
    expect(report.changed).toBe(1);
    expect(report.changedBy.otherRule).toBe(1);
    expect(report.sample).toEqual([
      expect.objectContaining({
        contactId: ids.k1,
        baseline: expect.objectContaining({ rule: null, agentId: A }),
        draft: expect.objectContaining({ rule: 'open-service', agentId: A }),
      }),
    ]);
    expect(report.byRuleAndStage).toContainEqual({
      baseline: { rule: null, stage: null },
      draft: { rule: null, stage: null },
      contacts: 4,
      changed: 0,
    });
  });
});
