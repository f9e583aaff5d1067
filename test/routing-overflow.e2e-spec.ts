import { expect } from '@jest/globals';
import {
  type AgentClient,
  type CallView,
  type ErrorBody,
  type Tether,
  TestFloor,
  startTether,
  uniquePhone,
} from '@tether/testing';

/**
 * Line rules that move contacts between lines and reorder them (issue #15, second part): a cross-line redirect,
 * queue limits with their overflow, a priority that grows with the wait, a callback offered after hours.
 */
describe('routing: redirect, queue limits, priority growth', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    // a shared machine can be slow to start five processes
    tether = await startTether({ startTimeoutMs: 90_000 });
    floor = new TestFloor(tether);
  }, 120_000);
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  async function take(agent: AgentClient, call: CallView) {
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(await agent.accept(offer.offerId)).toEqual(expect.objectContaining({ ok: true }));
    return offer;
  }

  async function trace(contactId: string): Promise<string[]> {
    const response = await floor.admin.request<{ trace: { text: string }[] }>(
      'GET',
      `/v1/contacts/${contactId}/trace`,
    );
    expect(response.status).toBe(200);
    return response.body.trace.map((entry) => entry.text);
  }

  it('a caller on sales with an open service case lands on the service line, with the reason told to the IVR and on the offer', async () => {
    const phone = uniquePhone();
    // the customer's open service case, owned by the service agent (a follow-up opens it)
    const owner = await floor.agent({ lines: ['service'], name: 'Sam Service' });
    const first = await floor.call('service', { from: phone });
    await take(owner, first);
    const done = await owner.complete(first.contactId, 'follow_up', 'line drops every night', {
      subject: 'Line drops',
    });
    expect(done).toEqual(expect.objectContaining({ ok: true, caseId: expect.any(String) }));

    const seller = await floor.agent({ lines: ['sales'], name: 'Sid Sales' });
    await floor.rules('sales', {
      rules: [
        {
          name: 'service-case',
          when: { openCaseOn: ['service'] },
          redirect: { line: 'service', reason: 'you have an open service case' },
        },
      ],
    });

    const call = await floor.call('sales', { from: phone });
    expect(call.redirect).toEqual({ line: 'service', reason: 'you have an open service case' });
    // the fixed fields are there as ever
    expect(call).toEqual(
      expect.objectContaining({
        contactId: expect.any(String),
        status: expect.stringMatching(/^(queued|offered)$/),
        announcement: null,
        customer: { id: expect.any(String), known: expect.any(Boolean) },
      }),
    );
    // the case owner on service gets it (as the case's owner), the free sales agent does not
    const offer = await take(owner, call);
    expect(offer.reason).toBe('case_owner');
    expect(offer.contact.redirect).toEqual({
      fromLine: 'sales',
      toLine: 'service',
      reason: 'you have an open service case',
    });
    await seller.expectNoOffer(500);
    expect(await trace(call.contactId)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/redirected from line sales to line service: you have an open service case/),
      ]),
    );
    // the webhook's repeat on sales finds the same contact, still redirected
    const again = await floor
      .line('sales')
      .postCall({ callId: call.callId, from: phone, to: '+15550000001' });
    expect(again.status).toBe(200);
    expect(again.body.contactId).toBe(call.contactId);
    expect(again.body.redirect).toEqual({ line: 'service', reason: 'you have an open service case' });

    // positive control: a caller without a service case stays on sales
    const plain = await floor.call('sales');
    expect(plain.redirect).toBeUndefined();
    await take(seller, plain);
  });

  it('a queue limit overflows the next caller to another line; refuse and callback overflows answer as they say', async () => {
    await floor.rules('sales', {
      queueLimit: { maxWaiting: 1, overflow: { line: 'presales', reason: 'sales is busy' } },
    });
    const presales = await floor.agent({ lines: ['presales'] });
    const waiting = await floor.call('sales'); // nobody on sales: it waits, the limit is 1
    expect(waiting.status).toBe('queued');
    expect(waiting.redirect).toBeUndefined();
    await presales.expectNoOffer(300);
    const over = await floor.call('sales');
    expect(over.redirect).toEqual({ line: 'presales', reason: 'sales is busy' });
    const offer = await take(presales, over);
    expect(offer.contact.redirect).toEqual({
      fromLine: 'sales',
      toLine: 'presales',
      reason: 'sales is busy',
    });
    expect(await trace(over.contactId)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/redirected from line sales to line presales: sales is busy/),
      ]),
    );

    // refuse: the second caller is told the reason and ended at once, nothing is queued
    await floor.rules('service', {
      queueLimit: {
        maxWaiting: 1,
        overflow: { refuse: true, reason: 'All lines are busy; call again later.' },
      },
    });
    const held = await floor.call('service');
    expect(held.status).toBe('queued');
    const refused = await floor.call('service');
    expect(refused.status).toBe('ended');
    expect(refused.announcement).toBe('All lines are busy; call again later.');
    expect((await floor.line('service').getCall(refused.callId)).body).toEqual(
      expect.objectContaining({ status: 'ended', endReason: 'refused' }),
    );

    // callback: the caller over the limit is offered a callback at once; the one within it is not
    await floor.rules('service', { queueLimit: { maxWaiting: 2, overflow: { callback: true } } });
    const within = await floor.call('service');
    expect(within.callbackOffered).toBe(false);
    const offered = await floor.call('service');
    expect(offered.status).toBe('queued');
    expect(offered.callbackOffered).toBe(true);
  });

  it('a priority that grows with the wait overtakes a later higher priority; one without growth does not', async () => {
    await floor.rules('sales', {
      sticky: { enabled: false },
      rules: [
        { name: 'grow', when: { intent: ['slow'] }, priorityGrowth: { by: 5, everySeconds: 1 } },
        { name: 'vip', when: { intent: ['vip'] }, priority: 3 },
      ],
    });
    const agent = await floor.agent({ lines: ['sales'], status: null });
    const plain = await floor.call('sales'); // priority 0, no growth: the earliest
    const grower = await floor.call('sales', { ivr: { intent: 'slow' } }); // priority 0, +5 a second
    const vip = await floor.call('sales', { ivr: { intent: 'vip' } }); // priority 3
    expect(vip.queuePosition).toBe(1); // at arrival, the VIP is first
    await new Promise((resolve) => setTimeout(resolve, 1_300));

    await agent.setStatus('available');
    for (const expected of [grower, vip, plain]) {
      await take(agent, expected);
      expect(await agent.complete(expected.contactId, 'resolved')).toEqual(
        expect.objectContaining({ ok: true }),
      );
    }
    expect((await trace(grower.contactId))[0]).toMatch(/rule grow matched/);
  });

  it('after hours, the caller hears the announcement and is offered a callback', async () => {
    await floor.rules('service', {
      calendar: { timeZone: 'Europe/Berlin', weekly: {} }, // never open
      rules: [
        {
          name: 'closed',
          when: { businessHours: 'closed' },
          announcement: 'We are closed until 9:00; leave your number for a callback.',
          offerCallback: true,
        },
      ],
    });
    const call = await floor.call('service');
    expect(call.announcement).toBe('We are closed until 9:00; leave your number for a callback.');
    expect(call.callbackOffered).toBe(true);
  });

  it('redirects and queue limits naming unknown lines are a 400 with the JSON path, and nothing changes', async () => {
    const current = await floor.admin.getRouting('sales');
    const {
      line: _l,
      version: _v,
      updatedAt: _u,
      ...body
    } = current as typeof current & {
      warnings?: string[];
    };
    const put = (patch: Record<string, unknown>) =>
      floor.admin.request<ErrorBody>('PUT', '/v1/lines/sales/routing', { ...body, ...patch });
    const badRedirect = await put({
      rules: [{ name: 'x', redirect: { line: 'nowhere', reason: 'r' } }],
    });
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.body.message).toMatch(/rules\[0\]\.redirect\.line: unknown line nowhere/);
    const self = await put({ rules: [{ name: 'x', redirect: { line: 'sales', reason: 'r' } }] });
    expect(self.status).toBe(400);
    expect(self.body.message).toMatch(/rules\[0\]\.redirect\.line: must be another line/);
    const badLimit = await put({ queueLimit: { maxWaiting: 3, overflow: {} } });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.message).toMatch(/queueLimit\.overflow: names exactly one of/);
    const badGrowth = await put({ rules: [{ name: 'g', priorityGrowth: { by: 0, everySeconds: 1 } }] });
    expect(badGrowth.status).toBe(400);
    expect(badGrowth.body.message).toMatch(/rules\[0\]\.priorityGrowth\.by/);
    expect((await floor.admin.getRouting('sales')).version).toBe(current.version);
    // positive control: the same shapes with a known line are accepted
    const ok = await put({
      rules: [{ name: 'x', redirect: { line: 'service', reason: 'r' } }],
      queueLimit: { maxWaiting: 3, overflow: { callback: true } },
    });
    expect(ok.status).toBe(200);
  });
});
