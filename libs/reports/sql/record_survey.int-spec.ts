import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';

/** tether_record_survey and the erasure trigger (record_survey.sql, surveys_erase_comment.sql) against the real PostgreSQL. */
describe('tether_record_survey', () => {
  let db: SqlTestDatabase;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop());

  interface Recorded {
    outcome: string;
    survey_id: string | null;
    contact_id: string | null;
    agent_id: string | null;
    case_id: string | null;
  }
  const record = (line: string, callId: string | null, contactId: string | null, score: number, scale = 5) =>
    db
      .query<Recorded>(`SELECT * FROM tether_record_survey($1, $2, $3, $4, $5, 'fine')`, [
        line,
        callId,
        contactId,
        score,
        scale,
      ])
      .then((found) => found[0]);

  it("'recorded' by call id on the line, joined to the contact's agent and customer", async () => {
    const agent = await db.fixtures.agent();
    const callId = db.fixtures.callId();
    const contactId = await db.fixtures.connected(agent, { externalId: callId, line: 'service' });
    const result = await record('service', callId, null, 4);
    expect(result).toMatchObject({
      outcome: 'recorded',
      contact_id: contactId,
      agent_id: agent,
      case_id: null,
    });
    expect(
      await db.one(
        `SELECT score, scale, channel, customer_id IS NOT NULL AS has_customer FROM surveys WHERE id = $1`,
        [result.survey_id],
      ),
    ).toEqual({ score: 4, scale: 5, channel: 'voice', has_customer: true });
  });

  it("'same' for the same result again, 'conflict' for another; one row either way", async () => {
    const contactId = await db.fixtures.contact({ line: 'sales' });
    const first = await record('sales', null, contactId, 5);
    expect(await record('sales', null, contactId, 5)).toMatchObject({
      outcome: 'same',
      survey_id: first.survey_id,
    });
    expect(await record('sales', null, contactId, 1)).toMatchObject({
      outcome: 'conflict',
      survey_id: first.survey_id,
    });
    expect(await db.one(`SELECT count(*)::int AS n FROM surveys WHERE contact_id = $1`, [contactId])).toEqual(
      { n: 1 },
    );
  });

  it("'not_found' for another line's contact or an unknown call", async () => {
    const contactId = await db.fixtures.contact({ line: 'sales' });
    expect((await record('service', null, contactId, 3)).outcome).toBe('not_found');
    expect((await record('sales', 'no-such-call', null, 3)).outcome).toBe('not_found');
  });

  it('a score outside 1..scale is refused by the table', async () => {
    const contactId = await db.fixtures.contact({ line: 'sales' });
    await expect(record('sales', null, contactId, 6, 5)).rejects.toThrow(/surveys_score_in_scale/);
  });

  it("erasing the contact clears the customer's words and keeps the score", async () => {
    const contactId = await db.fixtures.contact({ line: 'sales' });
    await record('sales', null, contactId, 2);
    await db.query(
      `UPDATE contacts SET erased_at = now(), from_address = NULL, to_address = NULL, ivr = NULL, notes = NULL
        WHERE id = $1`,
      [contactId],
    );
    expect(await db.one(`SELECT score, comment FROM surveys WHERE contact_id = $1`, [contactId])).toEqual({
      score: 2,
      comment: null,
    });
  });
});
