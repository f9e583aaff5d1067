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

  it('a scripted day through the real system: repeats across lines, abandons in the queue and during an offer, a transfer, incident-linked contacts, CSAT', async () => {
    // from now: the contacts of the tests before this one (same database) stay out of its range
    const from = new Date().toISOString();
    const anna = await floor.agent({ lines: ['sales'] });
    const boris = await floor.agent({ lines: ['service'] });
    const [p1, p2, p3] = [uniquePhone(), uniquePhone(), uniquePhone()];
    // numbers under a prefix of their own, for the incident (uniquePhone stays below +15556…)
    const p4 = `+15558${String(Date.now() % 1_000_000).padStart(6, '0')}`;
    const answer = async (agent: typeof anna, contactId: string) => {
      const offer = await agent.nextOffer();
      expect(offer.contact.id).toBe(contactId);
      expect((await agent.accept(offer.offerId)).ok).toBe(true);
    };

    // c1: P1 on service, answered and resolved by Boris
    const c1 = await floor.call('service', { from: p1 });
    await answer(boris, c1.contactId);
    expect((await boris.complete(c1.contactId, 'resolved')).ok).toBe(true);
    // c2: P1 again, on sales (a repeat of c1 across lines): Anna answers and transfers it cold to service, Boris completes
    const c2 = await floor.call('sales', { from: p1 });
    await answer(anna, c2.contactId);
    expect((await anna.transfer(c2.contactId, { line: 'service' }, 'cold')).ok).toBe(true);
    await answer(boris, c2.contactId);
    expect((await boris.complete(c2.contactId, 'resolved')).ok).toBe(true);
    // c3: P2 on sales with nobody free: abandoned in the queue
    expect((await anna.setStatus('away')).ok).toBe(true);
    const c3 = await floor.call('sales', { from: p2 });
    await anna.expectNoOffer(300);
    expect((await floor.line('sales').hangup(c3.callId)).status).toBe(200);
    // c4: P3 on service, hangs up while Boris's offer is pending: abandoned during the offer
    const c4 = await floor.call('service', { from: p3 });
    expect((await boris.nextOffer()).contact.id).toBe(c4.contactId);
    expect((await floor.line('service').hangup(c4.callId)).status).toBe(200);
    expect((await boris.nextRevoked()).reason).toBe('caller_hung_up');
    // c5, c6: P4, affected by an incident, twice on service: linked to it, so neither counts toward repeats
    const incident = await floor.admin.request<{ id: string }>('POST', '/v1/incidents', {
      title: 'Outage',
      announcement: 'We know about the outage and are fixing it.',
      affected: { phonePrefixes: [p4.slice(0, 8)] },
    });
    expect(incident.status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const call = await floor.call('service', { from: p4 });
      expect(call.announcement).toMatch(/outage/);
      await answer(boris, call.contactId);
      expect((await boris.complete(call.contactId, 'unresolved')).ok).toBe(true);
    }
    // surveys: c1 5/5 by call id, c2 3/5 by contact id on the line it arrived on
    expect((await survey('service', { callId: c1.callId, score: 5, scale: 5 })).response.status).toBe(201);
    expect((await survey('sales', { contactId: c2.contactId, score: 3, scale: 5 })).response.status).toBe(
      201,
    );

    const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&bucket=week`;
    const lines = (await floor.admin.request<LinesReport>('GET', `/v1/reports/lines?${query}`)).body.rows;
    expect(lines.map((r) => `${r.line as string}/${r.channel as string}`)).toEqual([
      'sales/voice',
      'service/voice',
    ]);
    expect(lines[0]).toMatchObject({
      offered: 2, // c2 c3
      answered: 1,
      abandoned: 1,
      abandonedDuringOffer: 0,
      transfers: 1,
      transfersPerContact: 1,
      repeatEligible: 2,
      repeats: 0, // nobody called again after c2 or c3
      firstContactResolution: 100, // c2
      csatResponses: 1,
      csatScore: 60,
    });
    expect(lines[1]).toMatchObject({
      offered: 4, // c1 c4 c5 c6
      answered: 3,
      abandoned: 1,
      abandonedDuringOffer: 1, // c4
      transfers: 0,
      repeatEligible: 2, // c1 c4: c5 and c6 are linked to the incident
      repeats: 1, // c1: P1 called again (c2, on sales)
      repeatContactRate: 50,
      firstContactResolution: 0, // c1 was 'resolved' by Boris, and still P1 called again
      csatResponses: 1,
      csatScore: 100,
    });

    const agents = (await floor.admin.request<LinesReport>('GET', `/v1/reports/agents?${query}`)).body.rows;
    expect(agents.find((r) => r.agentId === anna.agentId)).toMatchObject({
      offers: 1,
      answered: 1,
      transfersOut: 1,
    });
    expect(agents.find((r) => r.agentId === boris.agentId)).toMatchObject({
      offers: 5, // c1, c2 after its transfer, c4, c5, c6
      answered: 3, // c1 c5 c6: c2 was answered first by Anna
      transfersOut: 0,
      csatScore: 100,
    });

    const incidents = (await floor.admin.request<LinesReport>('GET', `/v1/reports/incidents?${query}`)).body
      .rows;
    expect(incidents).toEqual([
      expect.objectContaining({ incidentId: incident.body.id, offered: 2, answered: 2, repeatEligible: 0 }),
    ]);
  });
});
