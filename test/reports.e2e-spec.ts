import { expect } from '@jest/globals';
import { io } from 'socket.io-client';
import { type Tether, TestFloor, startTether, uniquePhone, waitFor } from '@tether/testing';

interface LiveMetrics {
  at: string;
  lines: {
    line: string;
    waiting: number;
    longestWaitingSeconds: number | null;
    today: Record<string, unknown>;
  }[];
}

interface LinesReport {
  bucket: string;
  repeatDays: number;
  nextPage: number | null;
  rows: Record<string, unknown>[];
}

/**
 * Outcome reports and surveys through the public surfaces: calls flow (answered, completed, abandoned, the same
 * caller again on another line), the IVR posts a signed survey result, and the admin's report shows it all, as JSON
 * and as CSV.
 */
describe('reports and surveys', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether();
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  const survey = (line: 'sales' | 'service', body: unknown, signature?: 'missing') =>
    floor
      .line(line)
      .request<Record<string, unknown>>('POST', '/v1/surveys', JSON.stringify(body), { signature });

  it('a day of calls, a survey, and the lines report over them, JSON and CSV', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const agent = await floor.agent({ lines: ['service'] });
    const phone = uniquePhone();
    const answered = await floor.call('service', { from: phone });
    const offer = await agent.nextOffer();
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    expect((await agent.complete(answered.contactId, 'resolved')).ok).toBe(true);
    // the same caller again, on another line, where nobody answers: abandoned, and a repeat of the first
    const again = await floor.call('sales', { from: phone });
    expect((await floor.line('sales').hangup(again.callId)).status).toBe(200);

    // the survey: signed like the telephony webhook, checked, one per contact
    expect(
      (await survey('service', { callId: answered.callId, score: 4, scale: 5 }, 'missing')).response.status,
    ).toBe(401);
    const tooHigh = await survey('service', { callId: answered.callId, score: 6, scale: 5 });
    expect(tooHigh.response.status).toBe(400);
    expect(JSON.stringify(tooHigh.response.body)).toMatch(/score/);
    const unknownField = await survey('service', { callId: answered.callId, score: 4, scale: 5, stars: 4 });
    expect(unknownField.response.status).toBe(400);
    expect(JSON.stringify(unknownField.response.body)).toMatch(/stars/);
    expect((await survey('service', { callId: 'no-such-call', score: 4, scale: 5 })).response.status).toBe(
      404,
    );
    // another line's call is not this line's
    expect((await survey('sales', { callId: answered.callId, score: 4, scale: 5 })).response.status).toBe(
      404,
    );
    const recorded = await survey('service', {
      callId: answered.callId,
      score: 4,
      scale: 5,
      comment: 'quick',
    });
    expect(recorded.response.status).toBe(201);
    expect(recorded.response.body).toMatchObject({
      contactId: answered.contactId,
      agentId: agent.agentId,
      score: 4,
      scale: 5,
      created: true,
    });
    const retry = await survey('service', { contactId: answered.contactId, score: 4, scale: 5 });
    expect(retry.response.status).toBe(200);
    expect(retry.response.body).toMatchObject({ id: recorded.response.body.id, created: false });
    expect(
      (await survey('service', { contactId: answered.contactId, score: 1, scale: 5 })).response.status,
    ).toBe(409);

    const to = new Date(Date.now() + 60_000).toISOString();
    const path = `/v1/reports/lines?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&bucket=week`;
    const report = await waitFor(
      async () => {
        const response = await floor.admin.request<LinesReport>('GET', path);
        return response.status === 200 && response.body.rows.length === 2 ? response.body : undefined;
      },
      { what: 'both lines in the report', timeoutMs: 5_000 },
    );
    expect(report).toMatchObject({ bucket: 'week', repeatDays: 7, nextPage: null });
    const [sales, service] = report.rows;
    expect(sales).toMatchObject({ line: 'sales', channel: 'voice', offered: 1, answered: 0, abandoned: 1 });
    expect(service).toMatchObject({
      line: 'service',
      channel: 'voice',
      offered: 1,
      answered: 1,
      abandoned: 0,
      repeatEligible: 1,
      repeats: 1, // the same caller on sales, minutes later
      repeatContactRate: 100,
      firstContactResolution: 0, // the agent clicked 'resolved', the customer called again
      csatResponses: 1,
      csatScore: 80,
    });

    const csv = await floor.admin.request('GET', path, undefined, { headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^bucket,line,channel,offered,answered,abandoned,/);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^[^,]+,service,voice,1,1,0,/);
  });

  it('a range longer than 93 days, or to before from, is refused naming the field', async () => {
    const tooLong = await floor.admin.request<{ message: string }>(
      'GET',
      '/v1/reports/agents?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z',
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/^to must be at most 93 days/);
    const backwards = await floor.admin.request<{ message: string }>(
      'GET',
      '/v1/reports/incidents?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(backwards.status).toBe(400);
    expect(backwards.body.message).toMatch(/^to must be after from/);
    const badBucket = await floor.admin.request<{ message: string }>(
      'GET',
      '/v1/reports/lines?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&bucket=hour',
    );
    expect(badBucket.status).toBe(400);
    expect(badBucket.body.message).toMatch(/bucket/);
    expect(
      (
        await floor.admin.request(
          'GET',
          '/v1/reports/lines?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
          undefined,
          {
            token: null,
          },
        )
      ).status,
    ).toBe(401);
  });

  it("supervisors get the live figures on connect and every 5 s: waiting now, today's outcomes", async () => {
    const waiting = await floor.call('presales');
    const socket = io(`${tether.urls.gateway}/supervisors`, {
      auth: { token: tether.adminToken },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    try {
      const received: LiveMetrics[] = [];
      socket.on('metrics:live', (payload: LiveMetrics) => received.push(payload));
      await waitFor(() => received.length >= 1, { what: 'metrics:live on connect', timeoutMs: 5_000 });
      const presales = received[0].lines.find((l) => l.line === 'presales')!;
      expect(presales).toMatchObject({ waiting: 1, today: { offered: 1, answered: 0 } });
      expect(presales.longestWaitingSeconds).toBeGreaterThanOrEqual(0);
      expect(received[0].lines.map((l) => l.line)).toEqual(
        expect.arrayContaining(['sales', 'presales', 'service']),
      );

      expect((await floor.line('presales').hangup(waiting.callId)).status).toBe(200);
      await waitFor(() => received.length >= 2, { what: 'the next metrics:live', timeoutMs: 7_000 });
      expect(received.at(-1)!.lines.find((l) => l.line === 'presales')).toMatchObject({
        waiting: 0,
        longestWaitingSeconds: null,
        today: { offered: 1, abandoned: 1 },
      });
    } finally {
      socket.close();
    }
  });
});
