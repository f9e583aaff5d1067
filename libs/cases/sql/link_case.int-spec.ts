import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/**
 * tether_link_case (link_case.sql), through tether_complete_contact as the agents' completions reach it: which case a
 * completed contact joins, when one is opened, and that two completions at once open one case.
 */
describe('tether_link_case (through tether_complete_contact)', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Completed {
    outcome: string;
    case_id: string | null;
    case_outcome: string | null;
    case_owner_id: string | null;
  }
  const complete = async (
    agentId: string,
    contactId: string,
    resolution: 'resolved' | 'unresolved' | 'follow_up',
    link: { subject?: string; caseId?: string } = {},
    sql: { query: SqlTestDatabase['query'] } = db,
  ): Promise<Completed> =>
    (
      await sql.query<Completed>(
        `SELECT outcome, case_id, case_outcome, case_owner_id
           FROM tether_complete_contact($1, $2, $3, 'notes', 0, $4, $5)`,
        [agentId, contactId, resolution, link.subject ?? null, link.caseId ?? null],
      )
    )[0];
  const caseRow = (id: string) =>
    db.one<{ status: string; owner_id: string; subject: string; line: string; resolved_at: Date | null }>(
      `SELECT status, owner_id, subject, line, resolved_at FROM cases WHERE id = $1`,
      [id],
    );
  const linkedCase = async (contactId: string) =>
    (await db.one<{ case_id: string | null }>(`SELECT case_id FROM contacts WHERE id = $1`, [contactId]))!
      .case_id;

  it('follow_up without a case opens one owned by the agent, subject from the IVR intent else "general"', async () => {
    const agentId = await db.fixtures.agent({ lines: ['service'] });
    await db.query(`UPDATE agents SET team = 'billing' WHERE id = $1`, [agentId]);
    const contactId = await db.fixtures.connected(agentId, { line: 'service' });
    const done = await complete(agentId, contactId, 'follow_up');
    expect(done).toMatchObject({ outcome: 'completed', case_outcome: 'opened', case_owner_id: agentId });
    expect(await caseRow(done.case_id!)).toMatchObject({
      status: 'open',
      owner_id: agentId,
      subject: 'general',
      line: 'service',
    });
    expect(await db.one(`SELECT team FROM cases WHERE id = $1`, [done.case_id])).toEqual({ team: 'billing' });
    expect(await linkedCase(contactId)).toBe(done.case_id);
  });

  it('resolved without an open case: no case', async () => {
    const agentId = await db.fixtures.agent({ lines: ['service'] });
    const contactId = await db.fixtures.connected(agentId, { line: 'service' });
    expect(await complete(agentId, contactId, 'resolved')).toMatchObject({
      outcome: 'completed',
      case_id: null,
      case_outcome: 'none',
    });
    expect(await linkedCase(contactId)).toBeNull();
  });

  it('a later contact handled by someone else joins the open case and leaves its owner; resolved resolves it', async () => {
    const owner = await db.fixtures.agent({ lines: ['service'] });
    const other = await db.fixtures.agent({ lines: ['service'] });
    const customerId = await db.fixtures.customer();
    const first = await db.fixtures.connected(owner, { line: 'service', customerId });
    const opened = await complete(owner, first, 'unresolved', { subject: 'Router keeps rebooting' });
    const second = await db.fixtures.connected(other, { line: 'service', customerId });
    const linked = await complete(other, second, 'follow_up');
    expect(linked).toMatchObject({ case_id: opened.case_id, case_outcome: 'linked', case_owner_id: owner });
    expect((await caseRow(opened.case_id!))!.owner_id).toBe(owner);
    const third = await db.fixtures.connected(other, { line: 'service', customerId });
    // the subject matches case-insensitively
    expect(await complete(other, third, 'resolved', { subject: ' router keeps REBOOTING ' })).toMatchObject({
      case_id: opened.case_id,
    });
    expect(await caseRow(opened.case_id!)).toMatchObject({ status: 'resolved', owner_id: owner });
    expect((await caseRow(opened.case_id!))!.resolved_at).not.toBeNull();
  });

  it('another subject opens another case; an open case on another line is not joined', async () => {
    const agentId = await db.fixtures.agent({ lines: ['service', 'sales'] });
    const customerId = await db.fixtures.customer();
    const a = await complete(
      agentId,
      await db.fixtures.connected(agentId, { line: 'service', customerId }),
      'follow_up',
      {
        subject: 'billing',
      },
    );
    const b = await complete(
      agentId,
      await db.fixtures.connected(agentId, { line: 'service', customerId }),
      'follow_up',
      {
        subject: 'outage',
      },
    );
    const c = await complete(
      agentId,
      await db.fixtures.connected(agentId, { line: 'sales', customerId }),
      'follow_up',
      {
        subject: 'billing',
      },
    );
    expect(new Set([a.case_id, b.case_id, c.case_id]).size).toBe(3);
  });

  it('caseId links to that case, reopening a resolved one; another customer’s case refuses the whole completion', async () => {
    const agentId = await db.fixtures.agent({ lines: ['service'] });
    const customerId = await db.fixtures.customer();
    const opened = await complete(
      agentId,
      await db.fixtures.connected(agentId, { line: 'service', customerId }),
      'follow_up',
    );
    await complete(
      agentId,
      await db.fixtures.connected(agentId, { line: 'service', customerId }),
      'resolved',
    );
    expect((await caseRow(opened.case_id!))!.status).toBe('resolved');
    const again = await db.fixtures.connected(agentId, { line: 'service', customerId });
    expect(await complete(agentId, again, 'unresolved', { caseId: opened.case_id! })).toMatchObject({
      case_id: opened.case_id,
      case_outcome: 'linked',
    });
    expect(await caseRow(opened.case_id!)).toMatchObject({ status: 'open', resolved_at: null });

    const stranger = await db.fixtures.connected(agentId, { line: 'service' });
    expect(await complete(agentId, stranger, 'follow_up', { caseId: opened.case_id! })).toMatchObject({
      outcome: 'case_not_found',
    });
    expect(
      await db.one(`SELECT work_open, case_id, resolution FROM contacts WHERE id = $1`, [stranger]),
    ).toEqual({ work_open: true, case_id: null, resolution: null });
  });

  it('two contacts of one customer completed at the same moment open one case, not two', async () => {
    const customerId = await db.fixtures.customer();
    const agents = [
      await db.fixtures.agent({ lines: ['service'] }),
      await db.fixtures.agent({ lines: ['service'] }),
    ];
    const contacts = await Promise.all(
      agents.map((agentId) => db.fixtures.connected(agentId, { line: 'service', customerId })),
    );
    const sessions = await Promise.all(agents.map(() => db.session()));
    try {
      await Promise.all(sessions.map((s) => s.query('BEGIN')));
      const a = await complete(agents[0], contacts[0], 'follow_up', {}, sessions[0]);
      // the second, before the first commits, meets the first's new case on the unique index and waits for it
      const second = complete(agents[1], contacts[1], 'follow_up', {}, sessions[1]);
      await db.waitingForLock(sessions[1].pid);
      await sessions[0].query('COMMIT');
      const b = await second;
      await sessions[1].query('COMMIT');
      expect(a.case_outcome).toBe('opened');
      expect(b).toMatchObject({ case_id: a.case_id, case_outcome: 'linked', case_owner_id: agents[0] });
    } finally {
      await Promise.all(sessions.map((s) => s.end()));
    }
    expect(await db.query(`SELECT id FROM cases WHERE customer_id = $1`, [customerId])).toHaveLength(1);
  });
});
