import { expect } from '@jest/globals';
import {
  CallbackReceiver,
  type CallView,
  type ReceivedCallback,
  type Tether,
  TestFloor,
  startTether,
  uniquePhone,
} from '@tether/testing';

interface DialBody {
  event: 'contact.dial';
  callId: string;
  contactId: string;
  agentId: string;
  number: string;
  attempt: number;
  callbackId?: string;
}

/**
 * Callbacks instead of waiting, and outbound calls, through the public surfaces: the IVR confirms a callback, the
 * caller hangs up and keeps their place; the agent who accepts it gets the customer dialled (one signed
 * `contact.dial`); failed attempts are retried after the line's delay, then given up; a callback aimed at its owner,
 * reminded and escalated when missed; agents schedule callbacks and place calls.
 */
describe('callbacks and outbound calls', () => {
  let tether: Tether;
  let floor: TestFloor;
  let receiver: CallbackReceiver;

  beforeAll(async () => {
    receiver = await CallbackReceiver.start();
    tether = await startTether({ env: { TETHER_TELEPHONY_CALLBACK_URL: receiver.url } });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    await receiver?.close();
  });

  const dialsFor = (contactId: string): ReceivedCallback[] =>
    receiver.received.history.filter((c) => {
      const body = c.body as { contactId?: string; event?: string };
      return body.contactId === contactId && body.event === 'contact.dial';
    });
  const nextDial = async (contactId: string): Promise<DialBody> =>
    (
      await receiver.received.take({
        matching: (c) => {
          const body = c.body as { contactId?: string; event?: string };
          return body.contactId === contactId && body.event === 'contact.dial';
        },
      })
    ).body as DialBody;

  async function confirmAndLeave(line: 'sales' | 'service', call: CallView, body = {}): Promise<CallView> {
    const confirmed = await floor.line(line).requestCallback(call.callId, body);
    expect(confirmed.status).toBe(201);
    const left = await floor.line(line).hangup(call.callId);
    expect(left.status).toBe(200);
    return left.body as CallView;
  }

  it('a confirmed callback keeps its place after the hang-up; the accepting agent gets one contact.dial', async () => {
    const phone = uniquePhone();
    const first = await floor.call('sales', { from: phone });
    const confirmed = await floor.line('sales').requestCallback(first.callId, {});
    expect(confirmed.status).toBe(201);
    expect(confirmed.body).toMatchObject({
      status: 'queued',
      callback: { state: 'waiting', requestedBy: 'caller', attempts: 0, callerLeftAt: null },
    });
    // the same confirmation again: the same callback, nothing new
    const again = await floor.line('sales').requestCallback(first.callId, {});
    expect(again.status).toBe(200);
    expect(again.body.callback?.id).toBe(confirmed.body.callback?.id);

    const afterHangup = await floor.line('sales').hangup(first.callId);
    expect(afterHangup.status).toBe(200);
    expect(afterHangup.body).toMatchObject({ status: 'queued', queuePosition: 1 });
    expect((afterHangup.body as CallView).callback?.callerLeftAt).toEqual(expect.any(String));
    const later = await floor.call('sales');
    expect(later.queuePosition).toBe(2);
    // a duplicate of the hang-up changes nothing
    expect((await floor.line('sales').hangup(first.callId)).body).toMatchObject({ status: 'queued' });

    const agent = await floor.agent({ lines: ['sales'] });
    const offer = await agent.nextOffer();
    expect(offer.contact).toMatchObject({
      id: first.contactId,
      direction: 'inbound',
      callback: { requestedBy: 'caller', callerLeft: true, attempts: 0 },
    });
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    const dial = await receiver.received.take({
      matching: (c) => (c.body as { contactId?: string }).contactId === first.contactId,
    });
    expect(dial.body).toEqual({
      event: 'contact.dial',
      callId: first.callId,
      contactId: first.contactId,
      agentId: agent.agentId,
      number: phone,
      attempt: 1,
      callbackId: confirmed.body.callback?.id,
    });
    expect(dial.headers['x-tether-signature']).toMatch(/^t=\d+,v2=[0-9a-f]{64}$/);
    expect((await floor.line('sales').getCall(first.callId)).body).toMatchObject({
      status: 'connected',
      agent: { id: agent.agentId },
      callback: { state: 'dialing', attempts: 1 },
    });
    expect((await floor.line('sales').postEvent(first.callId, 'answered')).body).toMatchObject({
      callback: { state: 'connected' },
    });
    expect((await agent.complete(first.contactId, 'resolved')).ok).toBe(true);
    expect((await floor.line('sales').getCall(first.callId)).body.callback?.state).toBe('completed');
    // the later caller is next, and exactly one dial was ever asked for
    expect((await agent.nextOffer()).contact.id).toBe(later.contactId);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(dialsFor(first.contactId)).toHaveLength(1);
  });

  it('a caller still on the line when their callback comes up is bridged, not dialled', async () => {
    const call = await floor.call('sales');
    expect((await floor.line('sales').requestCallback(call.callId, {})).status).toBe(201);
    const agent = await floor.agent({ lines: ['sales'] });
    const offer = await agent.nextOffer();
    expect(offer.contact.callback).toMatchObject({ callerLeft: false });
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    const bridged = await receiver.received.take({
      matching: (c) => (c.body as { contactId?: string }).contactId === call.contactId,
    });
    expect(bridged.body).toMatchObject({ event: 'contact.connected', agentId: agent.agentId });
    expect((await floor.line('sales').getCall(call.callId)).body.callback?.state).toBe('connected');
  });

  it('failed dial attempts are retried after the line’s delay, then the callback is given up', async () => {
    await floor.rules('sales', { callback: { maxAttempts: 2, retrySeconds: 5 } });
    const call = await floor.call('sales');
    await confirmAndLeave('sales', call);
    const agent = await floor.agent({ lines: ['sales'] });
    expect((await agent.accept((await agent.nextOffer()).offerId)).ok).toBe(true);
    expect((await nextDial(call.contactId)).attempt).toBe(1);

    const noAnswer = await floor.line('sales').postEvent(call.callId, 'no_answer');
    expect(noAnswer.status).toBe(200);
    expect(noAnswer.body).toMatchObject({
      status: 'queued',
      callback: { state: 'waiting', attempts: 1, lastResult: 'no_answer' },
    });
    expect(await agent.nextEnded()).toMatchObject({ contactId: call.contactId, reason: 'no_answer' });
    // not offered again before the retry delay, though the agent is free
    await agent.expectNoOffer(3_000);
    const retry = await agent.nextOffer(8_000);
    expect(retry.contact.id).toBe(call.contactId);
    expect((await agent.accept(retry.offerId)).ok).toBe(true);
    expect((await nextDial(call.contactId)).attempt).toBe(2);

    const busy = await floor.line('sales').postEvent(call.callId, 'busy');
    expect(busy.body).toMatchObject({
      status: 'ended',
      endReason: 'busy',
      callback: { state: 'failed', attempts: 2, lastResult: 'busy' },
    });
    // a result for a call not being dialled is refused
    expect((await floor.line('sales').postEvent(call.callId, 'busy')).status).toBe(409);
    // the agent is free again
    const next = await floor.call('sales');
    expect((await agent.nextOffer()).contact.id).toBe(next.contactId);
  });

  it('a callback is aimed at the customer’s case owner and offered to them first', async () => {
    const phone = uniquePhone();
    const owner = await floor.agent({ lines: ['service'], name: 'Olga Owner' });
    const first = await floor.call('service', { from: phone });
    expect((await owner.accept((await owner.nextOffer()).offerId)).ok).toBe(true);
    const done = await owner.complete(first.contactId, 'follow_up', 'router keeps rebooting');
    expect(done).toMatchObject({ ok: true, caseId: expect.any(String) });
    // the owner is busy with someone else when the customer calls back
    const busyWith = await floor.call('service');
    expect((await owner.accept((await owner.nextOffer()).offerId)).ok).toBe(true);
    const other = await floor.agent({ lines: ['service'] });

    const again = await floor.call('service', { from: phone });
    const waiting = await confirmAndLeave('service', again);
    expect(waiting.callback).toMatchObject({ ownerAgentId: owner.agentId, state: 'waiting' });
    await other.expectNoOffer(1_000);
    expect((await owner.listCallbacks()).ok && (await owner.listCallbacks())).toMatchObject({
      callbacks: [{ contactId: again.contactId, caseId: done.ok ? done.caseId : null }],
    });

    expect((await owner.complete(busyWith.contactId, 'resolved')).ok).toBe(true);
    const offer = await owner.nextOffer();
    expect(offer).toMatchObject({ reason: 'case_owner', contact: { id: again.contactId } });
    expect((await owner.accept(offer.offerId)).ok).toBe(true);
    expect(await nextDial(again.contactId)).toMatchObject({ agentId: owner.agentId, number: phone });
  });

  it('a callback due soon reminds its owner; one missed is escalated: it goes first and the owner is told', async () => {
    const phone = uniquePhone();
    const owner = await floor.agent({ lines: ['presales'] });
    const first = await floor.call('presales', { from: phone });
    expect((await owner.accept((await owner.nextOffer()).offerId)).ok).toBe(true);
    expect((await owner.complete(first.contactId, 'resolved')).ok).toBe(true);
    expect((await owner.setStatus('away')).ok).toBe(true);

    const earlier = await floor.call('presales');
    const call = await floor.call('presales', { from: phone });
    const end = new Date(Date.now() + 2_500).toISOString();
    const confirmed = await floor.line('presales').requestCallback(call.callId, { window: { end } });
    expect(confirmed.body.callback).toMatchObject({ dueAt: end, ownerAgentId: owner.agentId });
    await floor.line('presales').hangup(call.callId);

    // the reminder comes at once (the line's 300 s are more than the 2.5 s left), then the miss
    expect(await owner.callbackReminders.take({ timeoutMs: 5_000 })).toMatchObject({
      contactId: call.contactId,
      dueAt: end,
    });
    expect(await owner.callbacksMissed.take({ timeoutMs: 8_000 })).toMatchObject({
      contactId: call.contactId,
      line: 'presales',
      ownerId: owner.agentId,
    });
    const missed = await floor.line('presales').getCall(call.callId);
    expect(missed.body.callback?.missedAt).toEqual(expect.any(String));
    // escalated ahead of the caller who was waiting before it: the next free agent takes it first
    const helper = await floor.agent({ lines: ['presales'] });
    expect((await helper.nextOffer()).contact.id).toBe(call.contactId);
    const listed = await floor.admin.request<{ contactId: string }[]>(
      'GET',
      '/v1/callbacks?line=presales&missed=true',
    );
    expect(listed.body.map((c) => c.contactId)).toContain(call.contactId);
    void earlier;
  });

  it('a window keeps the callback out of the queue until it opens', async () => {
    const call = await floor.call('sales');
    const start = new Date(Date.now() + 3_000).toISOString();
    const confirmed = await floor.line('sales').requestCallback(call.callId, { window: { start } });
    expect(confirmed.body.callback?.windowStart).toBe(start);
    await floor.line('sales').hangup(call.callId);
    const agent = await floor.agent({ lines: ['sales'] });
    await agent.expectNoOffer(2_000);
    const offer = await agent.nextOffer(6_000);
    expect(offer.contact.id).toBe(call.contactId);
  });

  it('agents place calls and schedule callbacks', async () => {
    const phone = uniquePhone();
    const customer = await floor.admin.request<{ id: string }>('POST', '/v1/customers', {
      name: 'Carla Customer',
      phones: [phone],
    });
    expect(customer.status).toBe(201);
    const agent = await floor.agent({ lines: ['sales'] });

    const dialled = await agent.dial({ customerId: customer.body.id });
    expect(dialled).toMatchObject({ ok: true, line: 'sales', callId: expect.stringMatching(/^tether-out-/) });
    if (!dialled.ok) return;
    expect(await nextDial(dialled.contactId)).toMatchObject({
      agentId: agent.agentId,
      number: phone,
      callId: dialled.callId,
      attempt: 1,
    });
    // one voice slot: a second call while on this one is refused
    expect(await agent.dial({ number: uniquePhone() })).toEqual({
      ok: false,
      error: expect.stringContaining('no free voice slot'),
    });
    expect((await floor.line('sales').getCall(dialled.callId)).body).toMatchObject({
      status: 'connected',
      direction: 'outbound',
      agent: { id: agent.agentId },
    });
    expect((await agent.complete(dialled.contactId, 'follow_up', 'send the offer')).ok).toBe(true);
    const history = await floor.admin.request<{ contacts: { id: string }[] }>(
      'GET',
      `/v1/customers/${customer.body.id}`,
    );
    expect(history.body.contacts.map((c) => c.id)).toContain(dialled.contactId);

    // a callback for later: routed when its window opens, to the agent who scheduled it
    const windowStart = new Date(Date.now() + 2_000).toISOString();
    const scheduled = await agent.scheduleCallback({
      customerId: customer.body.id,
      windowStart,
      note: 'call back with the price',
    });
    expect(scheduled).toMatchObject({ ok: true, ownerAgentId: agent.agentId });
    if (!scheduled.ok) return;
    const listed = await agent.listCallbacks();
    expect(listed).toMatchObject({
      ok: true,
      callbacks: [{ id: scheduled.callbackId, requestedBy: 'agent', note: 'call back with the price' }],
    });
    await agent.expectNoOffer(1_000);
    const offer = await agent.nextOffer(6_000);
    expect(offer).toMatchObject({
      contact: {
        id: scheduled.contactId,
        direction: 'outbound',
        callback: { requestedBy: 'agent', callerLeft: true, note: 'call back with the price' },
      },
    });
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    expect(await nextDial(scheduled.contactId)).toMatchObject({ number: phone, attempt: 1 });
  });

  it('refuses what is not valid, naming the field', async () => {
    const call = await floor.call('sales');
    const past = await floor.line('sales').requestCallback(call.callId, {
      window: { end: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(past.status).toBe(400);
    expect(past.text).toContain('window.end');
    const unknown = await floor
      .line('sales')
      .request('POST', `/v1/telephony/calls/${call.callId}/callback`, JSON.stringify({ when: 'soon' }));
    expect(unknown.response.status).toBe(400);
    expect(unknown.response.text).toContain('when');
    const badNumber = await floor.line('sales').requestCallback(call.callId, { number: 'call me' });
    expect(badNumber.status).toBe(400);
    expect(badNumber.text).toContain('number');
    expect((await floor.line('sales').requestCallback('CA-never-seen', {})).status).toBe(404);
    await floor.line('sales').hangup(call.callId);
    expect((await floor.line('sales').requestCallback(call.callId, {})).status).toBe(409);
    // unsigned: refused before anything else
    expect(
      (await floor.line('sales').requestCallback(call.callId, {}, { signature: 'missing' })).status,
    ).toBe(401);

    const agent = await floor.agent({ lines: ['sales'] });
    expect(await agent.scheduleCallback({})).toEqual({
      ok: false,
      error: expect.stringContaining('contactId, caseId, customerId or number'),
    });
    expect(await agent.scheduleCallback({ number: uniquePhone(), line: 'service' })).toEqual({
      ok: false,
      error: expect.stringContaining('line'),
    });
    expect(await agent.dial({ number: 'nope' })).toEqual({
      ok: false,
      error: expect.stringContaining('number'),
    });
  });

  it('says callbackOffered when the estimated wait passes the line’s threshold (never by default)', async () => {
    const plain = await floor.call('service');
    expect(plain.callbackOffered).toBe(false);
    await floor.rules('service', { callback: { offerAfterWaitSeconds: 0 } });
    const offered = await floor.call('service');
    expect(offered.callbackOffered).toBe(true);
  });
});
