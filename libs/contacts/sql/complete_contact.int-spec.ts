import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_complete_contact (complete_contact.sql): the agent finishes a contact; wrap-up and its durable end. */
describe('tether_complete_contact', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Completed {
    outcome: string;
    line: string | null;
    agent_lines: string[] | null;
    wrap_up_until: Date | null;
  }
  const complete = async (
    agentId: string,
    contactId: string,
    defaultWrapUp = 0,
    notes: string | null = 'done',
  ) =>
    (await db.one<Completed>(
      `SELECT outcome, line, agent_lines, wrap_up_until
         FROM tether_complete_contact($1, $2, 'resolved', $3, $4, NULL, NULL)`,
      [agentId, contactId, notes, defaultWrapUp],
    ))!;
  const wrapUpJobs = (agentId: string) =>
    db.query<{ dedupe_key: string; payload: unknown; run_at: Date }>(
      `SELECT dedupe_key, payload, run_at FROM scheduled_jobs WHERE kind = 'agent.wrap-up-end' AND dedupe_key LIKE $1`,
      [`${agentId}@%`],
    );

  it("'completed': the contact ended with resolution and notes, the slot freed, wrap-up for the line's wrapUpSeconds", async () => {
    await db.fixtures.rules('service', { wrapUpSeconds: 30 });
    const agentId = await db.fixtures.agent({ lines: ['service', 'sales'] });
    const contactId = await db.fixtures.connected(agentId, { line: 'service' });

    const result = await complete(agentId, contactId, 5);
    expect(result).toMatchObject({
      outcome: 'completed',
      line: 'service',
      agent_lines: ['service', 'sales'],
    });
    expect(
      await db.one(
        `SELECT status, work_open, resolution, notes, end_reason, completed_at IS NOT NULL AS completed,
                ended_at IS NOT NULL AS ended, routing_trace -> -1 ->> 'text' AS last FROM contacts WHERE id = $1`,
        [contactId],
      ),
    ).toEqual({
      status: 'ended',
      work_open: false,
      resolution: 'resolved',
      notes: 'done',
      end_reason: 'completed',
      completed: true,
      ended: true,
      last: `completed by ${agentId}: resolved`,
    });
    expect(await db.one(`SELECT used FROM agent_slots WHERE agent_id = $1`, [agentId])).toEqual({ used: 0 });

    const presence = await db.one<{ wrap: number; same: boolean }>(
      `SELECT extract(epoch FROM wrap_up_until - now())::float AS wrap, idle_since = wrap_up_until AS same
         FROM agent_presence WHERE agent_id = $1`,
      [agentId],
    );
    expect(presence!.wrap).toBeCloseTo(30, 0);
    expect(presence!.same).toBe(true);
    expect(result.wrap_up_until).not.toBeNull();

    const { ms } = (await db.one<{ ms: string }>(
      `SELECT tether_epoch_ms(wrap_up_until)::text AS ms FROM agent_presence WHERE agent_id = $1`,
      [agentId],
    ))!;
    expect(await wrapUpJobs(agentId)).toEqual([
      {
        dedupe_key: `${agentId}@${ms}`,
        payload: { lines: ['service', 'sales'] },
        run_at: result.wrap_up_until,
      },
    ]);
  });

  it('no wrap-up at 0 s: idle from now, no job; the default applies to a line whose rules name none', async () => {
    await db.fixtures.rules('sales', { wrapUpSeconds: 0 });
    const agentId = await db.fixtures.agent();
    const contactId = await db.fixtures.connected(agentId, { line: 'sales' });
    expect(await complete(agentId, contactId, 30)).toMatchObject({
      outcome: 'completed',
      wrap_up_until: null,
    });
    expect(
      await db.one(
        `SELECT wrap_up_until, idle_since <= now() AS idle FROM agent_presence WHERE agent_id = $1`,
        [agentId],
      ),
    ).toEqual({
      wrap_up_until: null,
      idle: true,
    });
    expect(await wrapUpJobs(agentId)).toEqual([]);

    await db.query(`UPDATE line_routing SET rules = rules - 'wrapUpSeconds' WHERE line = 'presales'`);
    const other = await db.fixtures.agent();
    const onPresales = await db.fixtures.connected(other, { line: 'presales' });
    const result = await complete(other, onPresales, 12);
    expect(
      (await db.one<{ wrap: number }>(`SELECT extract(epoch FROM $1::timestamptz - now())::float AS wrap`, [
        result.wrap_up_until,
      ]))!.wrap,
    ).toBeCloseTo(12, 0);
    expect(await wrapUpJobs(other)).toHaveLength(1);
  });

  it('keeps how a call that already ended ended (a hang-up before completion)', async () => {
    const agentId = await db.fixtures.agent();
    const contactId = await db.fixtures.connected(agentId, {
      line: 'sales',
      endedAt: new Date('2026-01-01T00:00:00Z'),
      endReason: 'hangup',
    });
    await complete(agentId, contactId);
    expect(
      await db.one(`SELECT status, end_reason, ended_at FROM contacts WHERE id = $1`, [contactId]),
    ).toEqual({
      status: 'ended',
      end_reason: 'hangup',
      ended_at: new Date('2026-01-01T00:00:00Z'),
    });
  });

  it("'not_assigned' for an unknown contact or another agent's; 'already_completed' the second time", async () => {
    const agentId = await db.fixtures.agent();
    const other = await db.fixtures.agent();
    const contactId = await db.fixtures.connected(agentId, { line: 'sales' });
    const notAssigned = { outcome: 'not_assigned', line: null, agent_lines: null, wrap_up_until: null };
    expect(await complete(agentId, '00000000-0000-0000-0000-000000000000')).toEqual(notAssigned);
    expect(await complete(other, contactId)).toEqual(notAssigned);
    expect(await db.one(`SELECT work_open FROM contacts WHERE id = $1`, [contactId])).toEqual({
      work_open: true,
    });

    await complete(agentId, contactId);
    expect(await complete(agentId, contactId)).toEqual({
      outcome: 'already_completed',
      line: 'sales',
      agent_lines: null,
      wrap_up_until: null,
    });
    expect(await db.one(`SELECT used FROM agent_slots WHERE agent_id = $1`, [agentId])).toEqual({ used: 0 });
  });
});
