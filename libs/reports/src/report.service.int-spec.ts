import type { DataSource } from 'typeorm';
import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';
import { ReportService } from './report.service';

/**
 * The reports against a scripted day of contacts on the real PostgreSQL: the rows change as the lifecycle changes
 * them (each step at a set time of 2026-11-02, a Monday), the triggers write the history, and every figure is
 * checked against the value worked out by hand in the comments.
 *
 *   k1  C1 sales voice  09:00:00 offered A 09:00:05 (skills), answered 10 s, call over 09:05:10, completed 09:06:10
 *   k2  C1 service chat 10:00:00 offered B, rejected 10:00:12; offered A (sticky) 10:00:13, answered at 40 s,
 *                       completed 10:10:40                          (C1 again 1 h later, another line and channel)
 *   k3  C2 sales voice  09:30:00 abandoned in the queue at 60 s
 *   k4  C3 sales voice  11:00:00 offered D 11:00:01, hung up during the offer at 15 s
 *   k5  C4 sales voice  12:00:00 incident I; offered B, expired 12:00:23; offered A (case_owner) 12:00:24,
 *                       answered at 30 s; A transfers it to service 12:02:00; B answers 12:02:10, completes 12:10:00
 *   k6  C4 sales voice  13:00:00 incident I; offered A 13:00:02, answered at 5 s, completed 13:03:05
 *   k7  C5 sales voice  14:00:00 offered B, answered at 15 s, completed 14:04:15; C5 again 8 days later (k9)
 *   k8  C2 presales chat 16:00:00 offered B, answered at 5 s, completed 16:01:05   (C2 again: k3 is repeated)
 *   surveys: k1 4/5, k2 2/5, k7 10/10; one notice of incident I at 08:00
 */
describe('ReportService over a scripted day', () => {
  let db: SqlTestDatabase;
  let reports: ReportService;
  const day = '2026-11-02';
  const at = (time: string, date = day) => new Date(`${date}T${time}Z`);
  const range = { from: at('00:00:00'), to: at('00:00:00', '2026-11-03'), bucket: 'day' as const };
  let A: string, B: string, D: string, incident: string;

  const arrive = async (
    customerId: string,
    line: string,
    channel: string,
    time: Date,
    incidentId?: string,
  ) => {
    const id = await db.fixtures.contact({ customerId, line, channel, enqueuedAt: time, createdAt: time });
    if (incidentId) {
      // linked as tether_receive_call links it: in the insert (the arrival event carries it)
      await db.query(`DELETE FROM contact_events WHERE contact_id = $1`, [id]);
      await db.query(`UPDATE contacts SET incident_id = $2 WHERE id = $1`, [id, incidentId]);
      await db.query(
        `INSERT INTO contact_events (at, kind, contact_id, line, channel, customer_id, incident_id)
         VALUES ($2, 'queued', $1, $3, $4, $5, $6)`,
        [id, time, line, channel, customerId, incidentId],
      );
    }
    return id;
  };
  const offer = async (contactId: string, agentId: string, time: Date, reason = 'skills', line?: string) => {
    await db.query(`UPDATE contacts SET status = 'offered', offered_agent_id = $2 WHERE id = $1`, [
      contactId,
      agentId,
    ]);
    await db.query(
      `INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at)
       SELECT c.id, $2, coalesce($5::text, c.line), c.channel, 'pending', $3, 'script', $4::timestamptz, $4::timestamptz + interval '20 seconds'
         FROM contacts c WHERE c.id = $1`,
      [contactId, agentId, reason, time, line ?? null],
    );
  };
  const endOffer = async (contactId: string, state: 'rejected' | 'expired' | 'revoked', time: Date) => {
    await db.query(
      `UPDATE offers SET state = $2, resolved_at = $3, end_reason = $4 WHERE contact_id = $1 AND state = 'pending'`,
      [contactId, state, time, state === 'revoked' ? 'caller_hung_up' : state === 'rejected' ? 'busy' : null],
    );
    if (state !== 'revoked')
      await db.query(`UPDATE contacts SET status = 'queued', offered_agent_id = NULL WHERE id = $1`, [
        contactId,
      ]);
  };
  const answer = async (contactId: string, agentId: string, time: Date) => {
    await db.query(
      `UPDATE offers SET state = 'accepted', resolved_at = $2 WHERE contact_id = $1 AND state = 'pending'`,
      [contactId, time],
    );
    await db.query(
      `UPDATE contacts SET status = 'connected', agent_id = $2, offered_agent_id = NULL, work_open = true,
              connected_at = $3, transfer_id = NULL WHERE id = $1`,
      [contactId, agentId, time],
    );
  };
  const hangUp = async (contactId: string, time: Date) => {
    await db.query(
      `UPDATE contacts SET status = 'ended', ended_at = $2, offered_agent_id = NULL,
              end_reason = CASE WHEN status = 'connected' THEN 'caller_hung_up' ELSE 'abandoned' END WHERE id = $1`,
      [contactId, time],
    );
  };
  const complete = async (contactId: string, time: Date, resolution = 'resolved') => {
    await db.query(
      `UPDATE contacts SET status = 'ended', ended_at = coalesce(ended_at, $2), end_reason = coalesce(end_reason, 'completed'),
              completed_at = $2, resolution = $3, work_open = false WHERE id = $1`,
      [contactId, time, resolution],
    );
  };
  const transfer = async (contactId: string, fromAgent: string, toLine: string, time: Date) => {
    const [{ id }] = await db.query<{ id: string }>(
      `INSERT INTO transfers (contact_id, from_agent_id, from_line, target_kind, target_line, mode, created_at)
       SELECT id, $2, line, 'line', $3, 'cold', $4 FROM contacts WHERE id = $1 RETURNING id`,
      [contactId, fromAgent, toLine, time],
    );
    await db.query(
      `UPDATE offers SET state = 'transferred', resolved_at = $2 WHERE contact_id = $1 AND state = 'accepted'`,
      [contactId, time],
    );
    await db.query(
      `UPDATE contacts SET status = 'queued', transfer_id = $2, work_open = false WHERE id = $1`,
      [contactId, id],
    );
  };
  const survey = (contactId: string, score: number, scale: number) =>
    db.query(
      `SELECT r.* FROM contacts c, tether_record_survey(c.line, NULL, c.id, $2, $3, NULL) r WHERE c.id = $1`,
      [contactId, score, scale],
    );

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    const sql = { query: (text: string, params?: unknown[]) => db.query(text, params) };
    reports = new ReportService({
      ...sql,
      // one statement per report: its SET LOCAL (work_mem) only warns outside a transaction block
      transaction: <T>(work: (tx: typeof sql) => Promise<T>) => work(sql),
    } as unknown as DataSource);
    A = await db.fixtures.agent({ name: 'A' });
    B = await db.fixtures.agent({ name: 'B' });
    D = await db.fixtures.agent({ name: 'D' });
    const [C1, C2, C3, C4, C5] = [
      await db.fixtures.customer(),
      await db.fixtures.customer(),
      await db.fixtures.customer(),
      await db.fixtures.customer(),
      await db.fixtures.customer(),
    ];
    incident = (await db.one<{ id: string }>(
      `INSERT INTO incidents (title, announcement) VALUES ('outage', 'we know') RETURNING id`,
    ))!.id;
    const update = await db.one<{ id: string }>(
      `INSERT INTO incident_updates (incident_id, kind, status, notify) VALUES ($1, 'opened', 'open', true) RETURNING id`,
      [incident],
    );
    await db.query(
      `INSERT INTO incident_notices (update_id, customer_id, incident_id, channel, created_at) VALUES ($1, $2, $3, 'sms', $4)`,
      [update!.id, C4, incident, at('08:00:00')],
    );

    const k1 = await arrive(C1, 'sales', 'voice', at('09:00:00'));
    await offer(k1, A, at('09:00:05'));
    await answer(k1, A, at('09:00:10'));
    await hangUp(k1, at('09:05:10'));
    await complete(k1, at('09:06:10'));

    const k3 = await arrive(C2, 'sales', 'voice', at('09:30:00'));
    await hangUp(k3, at('09:31:00'));

    const k2 = await arrive(C1, 'service', 'chat', at('10:00:00'));
    await offer(k2, B, at('10:00:02'));
    await endOffer(k2, 'rejected', at('10:00:12'));
    await offer(k2, A, at('10:00:13'), 'sticky');
    await answer(k2, A, at('10:00:40'));
    await complete(k2, at('10:10:40'));

    const k4 = await arrive(C3, 'sales', 'voice', at('11:00:00'));
    await offer(k4, D, at('11:00:01'));
    await endOffer(k4, 'revoked', at('11:00:15'));
    await hangUp(k4, at('11:00:15'));

    const k5 = await arrive(C4, 'sales', 'voice', at('12:00:00'), incident);
    await offer(k5, B, at('12:00:03'));
    await endOffer(k5, 'expired', at('12:00:23'));
    await offer(k5, A, at('12:00:24'), 'case_owner');
    await answer(k5, A, at('12:00:30'));
    await transfer(k5, A, 'service', at('12:02:00'));
    await offer(k5, B, at('12:02:05'), 'skills', 'service');
    await answer(k5, B, at('12:02:10'));
    await complete(k5, at('12:10:00'));

    const k6 = await arrive(C4, 'sales', 'voice', at('13:00:00'), incident);
    await offer(k6, A, at('13:00:02'));
    await answer(k6, A, at('13:00:05'));
    await complete(k6, at('13:03:05'));

    const k7 = await arrive(C5, 'sales', 'voice', at('14:00:00'));
    await offer(k7, B, at('14:00:05'));
    await answer(k7, B, at('14:00:15'));
    await complete(k7, at('14:04:15'));
    await arrive(C5, 'sales', 'voice', at('14:00:01', '2026-11-10')); // k9: 8 days later, outside the window

    const k8 = await arrive(C2, 'presales', 'chat', at('16:00:00'));
    await offer(k8, B, at('16:00:02'));
    await answer(k8, B, at('16:00:05'));
    await complete(k8, at('16:01:05'));

    await survey(k1, 4, 5);
    await survey(k2, 2, 5);
    await survey(k7, 10, 10);
  }, 60_000);
  afterAll(() => db?.drop());

  it('per line and channel', async () => {
    const report = await reports.lines(range);
    expect(report).toMatchObject({ bucket: 'day', repeatDays: 7, page: 1, nextPage: null });
    expect(report.rows.map((r) => `${r.line}/${r.channel}`)).toEqual([
      'presales/chat',
      'sales/voice',
      'service/chat',
    ]);
    const [presales, sales, service] = report.rows;
    expect(sales).toEqual({
      bucket: '2026-11-02T00:00:00.000Z',
      line: 'sales',
      channel: 'voice',
      offered: 6, // k1 k3 k4 k5 k6 k7
      answered: 4, // k1 k5 k6 k7
      abandoned: 2, // k3 in the queue, k4 during its offer
      abandonedDuringOffer: 1,
      avgTimeToAbandonSeconds: 37.5, // (60 + 15) / 2
      serviceLevelTargetSeconds: 20,
      answeredWithinTarget: 3, // k1 10 s, k6 5 s, k7 15 s (k5 30 s is not)
      serviceLevel: 50, // 3 / (4 answered + 2 abandoned)
      asaSeconds: 15, // (10 + 30 + 5 + 15) / 4
      ahtSeconds: 337.5, // (360 + 570 + 180 + 240) / 4: answer to completion, k5 across its transfer
      longestWaitSeconds: 60, // k3
      transfers: 1,
      transfersPerContact: 0.25,
      stickyHits: 0,
      stickyHitRate: 0,
      stickyAsaSeconds: null,
      caseOwnerHits: 1, // k5
      caseOwnerHitRate: 25,
      caseOwnerAsaSeconds: 30,
      repeatEligible: 4, // k1 k3 k4 k7 (k5 k6 are linked to the incident)
      repeats: 2, // k1 (C1's k2, another line and channel), k3 (C2's k8); not k7 (C5 again after 8 days)
      repeatContactRate: 50,
      firstContactResolution: 50, // of the eligible answered k1 k7, k7 had no repeat
      csatResponses: 2,
      csatScore: 90, // (4/5 + 10/10) / 2
    });
    expect(service).toMatchObject({
      offered: 1,
      answered: 1,
      serviceLevel: 0, // 40 s
      asaSeconds: 40,
      ahtSeconds: 600,
      stickyHits: 1,
      stickyHitRate: 100,
      stickyAsaSeconds: 40,
      repeats: 0,
      firstContactResolution: 100,
      csatScore: 40,
    });
    expect(presales).toMatchObject({
      offered: 1,
      answered: 1,
      asaSeconds: 5,
      ahtSeconds: 60,
      serviceLevel: 100,
    });
  });

  it('filters by line, a per-request service-level target, 15-minute buckets and pages', async () => {
    const strict = await reports.lines({ ...range, line: 'sales', serviceLevelSeconds: 10 });
    expect(strict.rows).toHaveLength(1);
    // k1 at exactly 10 s counts, k6 at 5 s; k7 at 15 s no longer
    expect(strict.rows[0]).toMatchObject({ serviceLevelTargetSeconds: 10, answeredWithinTarget: 2 });
    const buckets = await reports.lines({ ...range, bucket: '15m', line: 'sales', pageSize: 4 });
    expect(buckets.rows.map((r) => [r.bucket.slice(11, 16), r.offered])).toEqual([
      ['09:00', 1],
      ['09:30', 1],
      ['11:00', 1],
      ['12:00', 1],
    ]);
    expect(buckets.nextPage).toBe(2);
    const next = await reports.lines({ ...range, bucket: '15m', line: 'sales', pageSize: 4, page: 2 });
    expect(next.rows.map((r) => r.bucket.slice(11, 16))).toEqual(['13:00', '14:00']);
    expect(next.nextPage).toBeNull();
  });

  it('a repeat window of 9 days makes C5 a repeat caller', async () => {
    const report = await reports.lines({ ...range, line: 'sales', repeatDays: 9 });
    expect(report.rows[0]).toMatchObject({ repeats: 3, repeatContactRate: 75, firstContactResolution: 0 });
  });

  it('per agent: offers, rejections, expiries, transfers out, and the figures of the contacts they answered', async () => {
    const report = await reports.agents(range);
    const byAgent = new Map(report.rows.map((r) => [r.agentId, r]));
    expect(byAgent.get(A)).toMatchObject({
      offers: 4, // k1 k2 k5 k6
      rejected: 0,
      expired: 0,
      transfersOut: 1, // k5
      answered: 4,
      asaSeconds: 21.3, // (10 + 40 + 30 + 5) / 4 = 21.25
      ahtSeconds: 427.5, // (360 + 600 + 570 + 180) / 4
      stickyHits: 1,
      caseOwnerHits: 1,
      repeatEligible: 2, // k1 k2
      repeats: 1, // k1
      firstContactResolution: 50,
      csatResponses: 2,
      csatScore: 60, // (4/5 + 2/5) / 2
    });
    expect(byAgent.get(B)).toMatchObject({
      offers: 5, // k2 k5 k5 (after its transfer) k7 k8
      rejected: 1,
      expired: 1,
      transfersOut: 0,
      answered: 2, // k7 k8 (k5 was answered first by A)
      asaSeconds: 10,
      ahtSeconds: 150,
      csatScore: 100,
    });
    // only an offer, during which the caller hung up
    expect(byAgent.get(D)).toMatchObject({ offers: 1, answered: 0, asaSeconds: null, serviceLevel: null });
  });

  it('per incident: its contacts and the notices sent', async () => {
    const report = await reports.incidents(range);
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({
      incidentId: incident,
      notices: 1,
      offered: 2, // k5 k6
      answered: 2,
      asaSeconds: 17.5,
      ahtSeconds: 375,
      repeatEligible: 0,
      repeatContactRate: null,
    });
  });

  it("occupancy: each agent's handling time (answer to completion or transfer on) over their staffed time (available, or busy)", async () => {
    // A's presence: available 08:00, away 12:00 (while handling k5 from 12:00:30 to its transfer at 12:02:00: busy),
    // available again 12:30, offline 17:00; B never signed in (only busy time counts for B)
    for (const [time, state] of [
      ['08:00:00', 'available'],
      ['12:00:00', 'away'],
      ['12:30:00', 'available'],
      ['17:00:00', 'offline'],
    ])
      await db.query(`INSERT INTO agent_presence_events (at, agent_id, state) VALUES ($1, $2, $3)`, [
        at(time),
        A,
        state,
      ]);
    try {
      const byAgent = new Map((await reports.agents(range)).rows.map((r) => [r.agentId, r]));
      expect(byAgent.get(A)).toMatchObject({
        handlingSeconds: 1230, // k1 360 + k2 600 + k5 90 (to the transfer) + k6 180
        staffedSeconds: 30690, // 08:00-12:00 14,400 + 12:00:30-12:02:00 busy 90 + 12:30-17:00 16,200
        occupancy: 4, // 1230 / 30690 = 4.008 %
      });
      expect(byAgent.get(B)).toMatchObject({
        handlingSeconds: 770, // k5 470 (after the transfer) + k7 240 + k8 60
        staffedSeconds: 770,
        occupancy: 100,
      });
      expect(byAgent.get(D)).toMatchObject({ handlingSeconds: 0, staffedSeconds: 0, occupancy: null });
      // per line: A's handling of sales contacts only (k1 k5 k6), over the same staffed time
      const sales = await reports.agents({ ...range, line: 'sales', agentId: A });
      expect(sales.rows).toHaveLength(1);
      expect(sales.rows[0]).toMatchObject({ handlingSeconds: 630, staffedSeconds: 30690, occupancy: 2.1 });
      // 15-minute buckets clip both: 09:00-09:15 holds k1's 360 s of a 900 s bucket A was available through
      const quarter = await reports.agents({ ...range, bucket: '15m', agentId: A, pageSize: 1000 });
      expect(quarter.rows.find((r) => r.bucket.endsWith('T09:00:00.000Z'))).toMatchObject({
        handlingSeconds: 360,
        staffedSeconds: 900,
        occupancy: 40,
      });
      expect(quarter.rows.find((r) => r.bucket.endsWith('T08:00:00.000Z'))).toMatchObject({
        offers: 0,
        handlingSeconds: 0,
        staffedSeconds: 900,
        occupancy: 0,
      });
    } finally {
      await db.query(`DELETE FROM agent_presence_events WHERE agent_id = $1 AND at < $2`, [
        A,
        at('23:00:00'),
      ]);
    }
  });

  describe('the rollup (contact_outcomes): every figure the same folded as live', () => {
    const queries = [
      range,
      { ...range, line: 'sales', serviceLevelSeconds: 10 },
      { ...range, bucket: '15m' as const, pageSize: 1000 },
      { ...range, line: 'sales', repeatDays: 9 },
      { ...range, repeatDays: 1 },
      // ends off the quarters: the events counted one by one are read live there, folded in between
      { from: at('09:07:00'), to: at('15:53:00'), bucket: '15m' as const, pageSize: 1000 },
      { from: at('07:59:00'), to: at('12:01:00'), bucket: 'day' as const },
      // over several days, by day and by week (whole folded days read a row per day: agent_day_occupancy,
      // event_day_counts), also of one line and from an unaligned start
      { from: at('00:00:00', '2026-11-01'), to: at('00:00:00', '2026-11-05'), bucket: 'day' as const },
      {
        from: at('00:00:00', '2026-11-01'),
        to: at('00:00:00', '2026-11-05'),
        bucket: 'day' as const,
        line: 'sales',
      },
      { from: at('05:00:00'), to: at('00:00:00', '2026-11-11'), bucket: 'week' as const },
    ];
    const everything = async () => ({
      lines: await Promise.all(queries.map((q) => reports.lines(q))),
      agents: await Promise.all(queries.map((q) => reports.agents(q))),
      incidents: await Promise.all(queries.map((q) => reports.incidents(q))),
    });
    const fold = async (until: Date) =>
      db.query<{ folded: number; folded_until: Date; more: boolean }>(
        `SELECT * FROM tether_fold_contact_outcomes($1, interval '1 day')`,
        [until],
      );
    // A's presence that day and the next (no contacts then: staffed time only), as the occupancy test has it
    const presence: [string, string, string][] = [
      ['08:00:00', day, 'available'],
      ['12:00:00', day, 'away'],
      ['12:30:00', day, 'available'],
      ['17:00:00', day, 'offline'],
      ['09:00:00', '2026-11-03', 'available'],
      ['10:30:00', '2026-11-03', 'offline'],
    ];
    beforeAll(async () => {
      for (const [time, date, state] of presence)
        await db.query(`INSERT INTO agent_presence_events (at, agent_id, state) VALUES ($1, $2, $3)`, [
          at(time, date),
          A,
          state,
        ]);
    });
    afterAll(async () => {
      await db.query(`DELETE FROM agent_presence_events WHERE agent_id = $1 AND at < $2`, [
        A,
        at('23:00:00', '2026-11-03'),
      ]);
      await db.query(
        `TRUNCATE contact_outcomes, contact_handling, event_counts, agent_day_occupancy, event_day_counts`,
      );
      await db.query(
        `UPDATE report_rollup_state SET folded_until = NULL, folded_at = NULL, days_from = NULL, days_until = NULL`,
      );
    });

    it('folded up to midday (k1-k4 folded, k3 repeated by k8 after the watermark), then past k9', async () => {
      const live = await everything();
      // the first step starts at the first event's quarter (the notice at 08:00)
      expect(await fold(at('12:00:00'))).toEqual([{ folded: 4, folded_until: at('12:00:00'), more: false }]);
      expect(await fold(at('12:00:00'))).toEqual([{ folded: 0, folded_until: at('12:00:00'), more: false }]);
      const rows = await db.query<{ contact_id: string; next_at: Date | null }>(
        `SELECT contact_id, next_at FROM contact_outcomes ORDER BY arrived_at`,
      );
      expect(rows.map((r) => r.next_at?.toISOString().slice(11, 19) ?? null)).toEqual([
        '10:00:00', // k1: C1's k2
        '16:00:00', // k3: C2's k8, not folded yet
        null, // k2: C1 never again
        null, // k4
      ]);
      expect(await everything()).toEqual(live);
      // tether_report_facts (the watermark read in the database) answers what the live fold does, k3's repeat included
      const facts = (fn: string) =>
        db.query(
          `SELECT contact_id, repeat_eligible, repeated, agent_id, transfers FROM ${fn}($1, $2, 7) ORDER BY contact_id`,
          [at('00:00:00'), at('00:00:00', '2026-11-12')],
        );
      const byWatermark = await facts('tether_report_facts');
      expect(byWatermark).toHaveLength(9);
      expect(byWatermark).toEqual(await facts('tether_contact_facts'));

      // a step is at most a day: past k9 (8 days later) in several steps
      const steps = [];
      for (let more = true; more;) {
        const [step] = await fold(at('00:00:00', '2026-11-12'));
        steps.push(step.folded);
        more = step.more;
      }
      expect(steps.reduce((a, b) => a + b, 0)).toBe(5); // k5-k8 and k9
      expect(steps.length).toBeGreaterThan(2);
      const k7 = await db.one<{ next_at: Date }>(
        `SELECT next_at FROM contact_outcomes WHERE arrived_at = $1`,
        [at('14:00:00')],
      );
      expect(k7!.next_at).toEqual(at('14:00:01', '2026-11-10')); // k9, set when k9 was folded
      expect(await everything()).toEqual(live);

      // the whole days behind the watermark were folded a row per day, from the history's first day
      expect(await db.one(`SELECT days_from, days_until FROM report_rollup_state WHERE id = 1`)).toEqual({
        days_from: at('00:00:00'),
        days_until: at('00:00:00', '2026-11-12'),
      });
      const occupancy = await db.query<{
        day: Date;
        line: string | null;
        handling_s: string;
        staffed_s: string;
      }>(
        `SELECT day, line, handling_s, staffed_s FROM agent_day_occupancy WHERE agent_id = $1 ORDER BY day, line`,
        [A],
      );
      expect(
        occupancy.map((r) => [
          r.day.toISOString().slice(0, 10),
          r.line,
          Number(r.handling_s),
          Number(r.staffed_s),
        ]),
      ).toEqual([
        ['2026-11-02', 'sales', 630, 30690],
        ['2026-11-02', 'service', 600, 30690],
        ['2026-11-02', null, 1230, 30690],
        ['2026-11-03', null, 0, 5400],
      ]);
      // and the reports read them (positive control: a changed day row changes the day's report)
      await db.query(
        `UPDATE agent_day_occupancy SET staffed_s = staffed_s * 2 WHERE agent_id = $1 AND day = $2`,
        [A, at('00:00:00', '2026-11-03')],
      );
      await db.query(
        `UPDATE event_day_counts SET n = n + 1 WHERE day = $1 AND kind = 'offered' AND agent_id = $2 AND line = 'sales'`,
        [at('00:00:00'), A],
      );
      const changed = await reports.agents({ ...queries[7], agentId: A });
      expect(changed.rows.map((r) => [r.bucket.slice(0, 10), r.offers, r.staffedSeconds])).toEqual([
        ['2026-11-02', 5, 30690], // 4 offers + 1
        ['2026-11-03', 0, 10800],
      ]);
      await db.query(
        `UPDATE agent_day_occupancy SET staffed_s = staffed_s / 2 WHERE agent_id = $1 AND day = $2`,
        [A, at('00:00:00', '2026-11-03')],
      );
      await db.query(
        `UPDATE event_day_counts SET n = n - 1 WHERE day = $1 AND kind = 'offered' AND agent_id = $2 AND line = 'sales'`,
        [at('00:00:00'), A],
      );
      expect(await everything()).toEqual(live);
    });
  });

  it('nothing outside the range', async () => {
    const report = await reports.lines({
      from: at('00:00:00', '2026-11-03'),
      to: at('00:00:00', '2026-11-04'),
      bucket: 'day',
    });
    expect(report.rows).toEqual([]);
  });
});
