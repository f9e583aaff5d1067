import { expect } from '@jest/globals';
import {
  CALLBACK_PATH,
  CallbackReceiver,
  type ReceivedCallback,
  type Tether,
  TestFloor,
  isValidTetherSignature,
  startTether,
} from '@tether/testing';

/** CONTRACT: accepting connects the call, and the telephony platform is told, signed, until it says 2xx. */
describe('connected calls and the telephony callback', () => {
  let receiver: CallbackReceiver;
  let tether: Tether;
  let floor: TestFloor;

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

  const forContact = (contactId: string) => (callback: ReceivedCallback) =>
    (callback.body as { contactId?: string }).contactId === contactId;

  it('accept connects the call to the agent', async () => {
    const agent = await floor.agent({ lines: ['presales'] });
    const call = await floor.call('presales');
    const offer = await agent.nextOffer();
    expect(await agent.accept(offer.offerId)).toEqual(
      expect.objectContaining({ ok: true, contactId: call.contactId }),
    );

    const view = await floor.line('presales').getCall(call.callId);
    expect(view.status).toBe(200);
    expect(view.body).toEqual(
      expect.objectContaining({
        contactId: call.contactId,
        status: 'connected',
        agent: { id: agent.agentId },
      }),
    );
    // accepting again is harmless and says the same
    expect(await agent.accept(offer.offerId)).toEqual(
      expect.objectContaining({ ok: true, contactId: call.contactId }),
    );
  });

  it('the signed contact.connected callback arrives within a second', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await agent.nextOffer();
    const acceptedAt = Date.now();
    expect((await agent.accept(offer.offerId)).ok).toBe(true);

    const callback = await receiver.next({ matching: forContact(call.contactId), timeoutMs: 3_000 });
    expect(callback.receivedAt - acceptedAt).toBeLessThan(1_000);
    expect(callback.body).toEqual({
      event: 'contact.connected',
      callId: call.callId,
      contactId: call.contactId,
      agentId: agent.agentId,
    });
    expect(callback.headers['content-type']).toMatch(/application\/json/);
    const signature = callback.headers['x-tether-signature'];
    const header = typeof signature === 'string' ? signature : undefined;
    // v2, bound to POST and the callback URL's own path and query
    expect(callback.method).toBe('POST');
    expect(callback.path).toBe(CALLBACK_PATH);
    expect(header).toMatch(/^t=\d+,v2=[0-9a-f]{64}$/);
    expect(
      isValidTetherSignature(tether.webhookSecret, header, 'POST', CALLBACK_PATH, callback.rawBody),
    ).toBe(true);
    expect(
      isValidTetherSignature('some-other-secret-0123456789', header, 'POST', CALLBACK_PATH, callback.rawBody),
    ).toBe(false);
    // the query is signed too: without it, or on another path, the same header does not verify
    const [pathOnly] = CALLBACK_PATH.split('?');
    expect(isValidTetherSignature(tether.webhookSecret, header, 'POST', pathOnly, callback.rawBody)).toBe(
      false,
    );
    expect(isValidTetherSignature(tether.webhookSecret, header, 'PUT', CALLBACK_PATH, callback.rawBody)).toBe(
      false,
    );
    // delivered once it got a 2xx: no second delivery
    await receiver.received.expectNone(700, forContact(call.contactId));
  });

  it('a callback answered with 500 is retried until it gets a 2xx', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await agent.nextOffer();
    receiver.failNext(2);
    expect((await agent.accept(offer.offerId)).ok).toBe(true);

    const attempts: ReceivedCallback[] = [];
    for (let i = 0; i < 3; i++)
      attempts.push(await receiver.next({ matching: forContact(call.contactId), timeoutMs: 5_000 }));
    expect(attempts.map((a) => a.answeredStatus)).toEqual([500, 500, 204]);
    for (const attempt of attempts) {
      expect(attempt.rawBody).toBe(attempts[0].rawBody);
      expect(
        isValidTetherSignature(
          tether.webhookSecret,
          String(attempt.headers['x-tether-signature']),
          attempt.method,
          attempt.path,
          attempt.rawBody,
        ),
      ).toBe(true);
    }
    // with backoff: the retries are spaced, not a tight loop
    expect(attempts[2].receivedAt - attempts[0].receivedAt).toBeGreaterThanOrEqual(1_000);
    await receiver.received.expectNone(1_000, forContact(call.contactId));
    // the call was connected all along: the retries do not hold the agent up
    expect((await floor.line('sales').getCall(call.callId)).body.status).toBe('connected');
  });
});
