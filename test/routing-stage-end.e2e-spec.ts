import { expect } from '@jest/globals';
import {
  CALLBACK_PATH,
  CallbackReceiver,
  type ErrorBody,
  type ReceivedCallback,
  type Tether,
  TestFloor,
  isValidTetherSignature,
  startTether,
} from '@tether/testing';

/**
 * Stage end actions (issue #15): when a rule's last stage ends and the contact still waits, it overflows to another
 * line, is offered a callback, or is played an announcement; the telephony platform is told by a signed callback.
 * After hours for messages: a conversation arriving while the line is closed is held until its calendar opens.
 */
describe('routing: stage end actions, after hours for messages', () => {
  let receiver: CallbackReceiver;
  let channel: CallbackReceiver;
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    receiver = await CallbackReceiver.start();
    channel = await CallbackReceiver.start();
    // a shared machine can be slow to start five processes
    tether = await startTether({
      env: { TETHER_TELEPHONY_CALLBACK_URL: receiver.url, TETHER_CHANNEL_URL: channel.url },
      startTimeoutMs: 90_000,
    });
    floor = new TestFloor(tether);
  }, 120_000);
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    await receiver?.close();
    await channel?.close();
  });

  const event = (name: string, contactId: string) => (callback: ReceivedCallback) => {
    const body = callback.body as { event?: string; contactId?: string };
    return body.event === name && body.contactId === contactId;
  };

  async function trace(contactId: string): Promise<string[]> {
    const response = await floor.admin.request<{ trace: { text: string }[] }>(
      'GET',
      `/v1/contacts/${contactId}/trace`,
    );
    expect(response.status).toBe(200);
    return response.body.trace.map((entry) => entry.text);
  }

  it('a call still waiting when the last stage ends overflows to the other line, is offered there with the reason, and the platform is told (signed)', async () => {
    // the skill is known (a sales agent holds it), but that agent is away: nobody on sales takes the call
    await floor.agent({ lines: ['sales'], skills: { tech: 5 }, status: 'away' });
    const presales = await floor.agent({ lines: ['presales'] });
    await floor.rules('sales', {
      rules: [
        {
          name: 'tech',
          when: { intent: ['tech'] },
          stages: [{ seconds: 1, skills: { tech: 5 } }, { seconds: 1 }],
          afterStages: { line: 'presales', reason: 'all sales agents are busy' },
        },
      ],
    });
    const arrived = Date.now();
    const call = await floor.call('sales', { ivr: { intent: 'tech' } });
    expect(call.status).toBe('queued');
    expect(call.redirect).toBeUndefined();

    const offer = await presales.nextOffer(6_000);
    const offeredAfterMs = Date.now() - arrived;
    expect(offer.contact.id).toBe(call.contactId);
    // not before the last stage's end (2 s after arrival)
    expect(offeredAfterMs).toBeGreaterThanOrEqual(1_900);
    expect(offer.contact.redirect).toEqual({
      fromLine: 'sales',
      toLine: 'presales',
      reason: 'all sales agents are busy',
    });

    const callback = await receiver.next({
      matching: event('contact.redirected', call.contactId),
      timeoutMs: 3_000,
    });
    expect(callback.body).toEqual({
      event: 'contact.redirected',
      callId: call.callId,
      contactId: call.contactId,
      line: 'presales',
      reason: 'all sales agents are busy',
    });
    const signature = callback.headers['x-tether-signature'];
    expect(
      isValidTetherSignature(
        tether.webhookSecret,
        typeof signature === 'string' ? signature : undefined,
        'POST',
        CALLBACK_PATH,
        callback.rawBody,
      ),
    ).toBe(true);
    // once
    await receiver.received.expectNone(700, event('contact.redirected', call.contactId));

    // the call's view (the webhook's repeat) says where it waits; the trace says why
    const view = (await floor.line('sales').getCall(call.callId)).body;
    expect(view.redirect).toEqual({ line: 'presales', reason: 'all sales agents are busy' });
    expect(await trace(call.contactId)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /rule tech: the last stage ended; overflowed from line sales to line presales: all sales agents are busy/,
        ),
      ]),
    );
    expect((await presales.accept(offer.offerId)).ok).toBe(true);
  });

  it('control: a call offered before the last stage ends is untouched (no overflow, no callback to the platform)', async () => {
    const teched = await floor.agent({ lines: ['sales'], skills: { tech: 5 } });
    const presales = await floor.agent({ lines: ['presales'] });
    await floor.rules('sales', {
      rules: [
        {
          name: 'tech',
          when: { intent: ['tech'] },
          stages: [{ seconds: 1, skills: { tech: 5 } }, { seconds: 1 }],
          afterStages: { line: 'presales', reason: 'all sales agents are busy' },
        },
      ],
    });
    const call = await floor.call('sales', { ivr: { intent: 'tech' } });
    const offer = await teched.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(offer.contact.redirect).toBeUndefined();
    // the offer stands past the last stage's end: the contact is not moved
    await presales.expectNoOffer(2_500);
    await receiver.received.expectNone(200, event('contact.redirected', call.contactId));
    const view = (await floor.line('sales').getCall(call.callId)).body;
    expect(view.status).toBe('offered');
    expect(view.redirect).toBeUndefined();
    expect((await teched.accept(offer.offerId)).ok).toBe(true);
  });

  it('a callback offer and an announcement at the last stage end: the platform is told, the calls keep waiting', async () => {
    await floor.rules('service', {
      rules: [
        {
          name: 'callback',
          when: { intent: ['later'] },
          stages: [{ seconds: 1 }],
          afterStages: { callback: true, reason: 'we can call you back' },
        },
        {
          name: 'hold',
          when: { intent: ['hold'] },
          stages: [{ seconds: 1 }],
          afterStages: { announcement: 'All agents are still busy, please hold.' },
        },
      ],
    });
    const later = await floor.call('service', { ivr: { intent: 'later' } });
    const hold = await floor.call('service', { ivr: { intent: 'hold' } });
    expect(later.callbackOffered).toBe(false);

    expect(
      (
        await receiver.next({
          matching: event('contact.callback_offered', later.contactId),
          timeoutMs: 5_000,
        })
      ).body,
    ).toEqual({
      event: 'contact.callback_offered',
      callId: later.callId,
      contactId: later.contactId,
      reason: 'we can call you back',
    });
    expect(
      (await receiver.next({ matching: event('contact.announcement', hold.contactId), timeoutMs: 5_000 }))
        .body,
    ).toEqual({
      event: 'contact.announcement',
      callId: hold.callId,
      contactId: hold.contactId,
      text: 'All agents are still busy, please hold.',
    });
    const laterView = (await floor.line('service').getCall(later.callId)).body;
    expect(laterView).toEqual(expect.objectContaining({ status: 'queued', callbackOffered: true }));
    // the IVR confirms the callback as for any offered one
    const confirmed = await floor.line('service').requestCallback(later.callId, {});
    expect(confirmed.status).toBe(201);
    expect(await trace(hold.contactId)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/rule hold: the last stage ended; the announcement is played/),
      ]),
    );
    // still waiting: an agent who comes now gets them
    const agent = await floor.agent({ lines: ['service'] });
    const first = await agent.nextOffer();
    expect([later.contactId, hold.contactId]).toContain(first.contact.id);
  });

  it('the simulator ends the stage list with the action; an invalid action is a 400 naming the path', async () => {
    await floor.agent({ lines: ['sales'], skills: { tech: 5 }, status: null });
    await floor.rules('sales', {
      rules: [
        {
          name: 'tech',
          when: { intent: ['tech'] },
          stages: [{ seconds: 30, skills: { tech: 5 } }, { seconds: 60 }],
          afterStages: { line: 'presales', reason: 'all sales agents are busy' },
        },
      ],
    });
    const simulated = await floor.admin.request<{
      stages: { stage: number; untilSeconds: number | null }[];
      afterStages: unknown;
    }>('POST', '/v1/lines/sales/routing/simulate', {
      from: '+15550001234',
      ivr: { intent: 'tech' },
      at: new Date(Date.now() - 120_000).toISOString(),
    });
    expect(simulated.status).toBe(200);
    expect(simulated.body.stages.map((s) => s.untilSeconds)).toEqual([30, 90]);
    expect(simulated.body.afterStages).toEqual({
      line: 'presales',
      reason: 'all sales agents are busy',
      atSeconds: 90,
      due: true,
    });

    const current = await floor.admin.getRouting('sales');
    const {
      line: _line,
      version: _version,
      updatedAt: _updatedAt,
      ...body
    } = current as typeof current & {
      warnings?: unknown;
    };
    delete (body as { warnings?: unknown }).warnings;
    const invalid = await floor.admin.request('PUT', '/v1/lines/sales/routing', {
      ...body,
      rules: [
        {
          name: 'a',
          when: { intent: ['a'] },
          stages: [{ seconds: 5 }, {}],
          afterStages: { callback: true },
        },
        { name: 'b', when: { intent: ['b'] }, afterStages: { line: 'nowhere', reason: 'x' } },
        { name: 'c', stages: [{ seconds: 5 }], afterStages: { line: 'sales', reason: 'x' } },
      ],
    });
    expect(invalid.status).toBe(400);
    const message = (invalid.body as ErrorBody).message;
    expect(message).toMatch(/rules\[0\]\.stages\[1\]\.seconds: is required/);
    expect(message).toMatch(/rules\[1\]\.afterStages\.line: unknown line nowhere/);
    expect(message).toMatch(/rules\[1\]\.afterStages: needs stages/);
    expect(message).toMatch(/rules\[2\]\.afterStages\.line: must be another line/);
    expect((await floor.admin.getRouting('sales')).version).toBe(current.version);
  });

  it('after hours, a chat is held (with the announcement as an automatic reply) and offered when the calendar opens; a call is offered a callback', async () => {
    // the line opens at the next whole minute (UTC), at least 5 s from now
    const opening = new Date(Math.ceil((Date.now() + 5_000) / 60_000) * 60_000);
    const weekday = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][opening.getUTCDay()];
    const hhmm = opening.toISOString().slice(11, 16);
    const agent = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 2 } });
    await floor.rules('service', {
      calendar: { timeZone: 'UTC', weekly: { [weekday]: [[hhmm, '24:00']] } },
      rules: [
        {
          name: 'night-chat',
          when: { businessHours: 'closed', channel: ['chat'] },
          holdUntilOpen: true,
          announcement: 'We are closed; an agent answers when we open.',
        },
        { name: 'night-call', when: { businessHours: 'closed' }, holdUntilOpen: true },
      ],
    });

    const posted = await floor.line('service').postMessage({
      channel: 'chat',
      conversationId: `conv-${Date.now()}`,
      messageId: `msg-${Date.now()}`,
      from: { email: 'night-owl@example.com' },
      text: 'Is anyone there?',
    });
    expect(posted.status).toBe(201);
    expect(posted.body.status).toBe('queued');
    const contactId = posted.body.contactId;

    // the automatic reply goes out at once, without an agent
    const reply = await channel.next({
      matching: (c) => (c.body as { contactId?: string }).contactId === contactId,
      timeoutMs: 5_000,
    });
    expect(reply.body).toEqual(
      expect.objectContaining({
        event: 'message.send',
        contactId,
        agentId: null,
        seq: 2,
        text: 'We are closed; an agent answers when we open.',
      }),
    );

    // a call after hours is not held: the webhook offers a callback at once
    const call = await floor.call('service');
    expect(call.callbackOffered).toBe(true);
    const callOffer = await agent.nextOffer(5_000);
    expect(callOffer.contact.id).toBe(call.contactId);
    expect((await agent.reject(callOffer.offerId)).ok).toBe(true);

    // the available agent gets nothing while the line is closed ...
    await agent.expectNoOffer(Math.max(0, opening.getTime() - Date.now() - 1_000));
    // ... and the chat when it opens, with the conversation so far
    const offer = await agent.nextOffer(15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(opening.getTime() - 1_000);
    expect(offer.contact).toMatchObject({
      id: contactId,
      channel: 'chat',
      messages: [
        { seq: 1, direction: 'in', text: 'Is anyone there?' },
        { seq: 2, direction: 'out', text: 'We are closed; an agent answers when we open.' },
      ],
    });
    expect(await trace(contactId)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`rule night-chat: the line is closed; held until it opens at ${opening.toISOString()}`),
        ),
      ]),
    );
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
  }, 120_000);
});
