import { expect } from '@jest/globals';
import {
  CallbackReceiver,
  type ReceivedCallback,
  type Tether,
  TestFloor,
  startTether,
  waitFor,
} from '@tether/testing';

/**
 * A transfer's re-bridge across a crash: the platform is down when the target accepts, the gateway that took the
 * accept is killed (`kill -9`) before any delivery got through, the platform comes back. The signed
 * `contact.transferred` callback, written to the outbox with the accept, is delivered by whichever process is alive,
 * and exactly once with a 2xx.
 */
describe('faults: a transfer callback across a kill -9', () => {
  let tether: Tether;
  let floor: TestFloor;
  let receiver: CallbackReceiver;

  beforeAll(async () => {
    receiver = await CallbackReceiver.start();
    tether = await startTether({
      apps: ['admin', 'gateway', 'sales'],
      env: { TETHER_TELEPHONY_CALLBACK_URL: receiver.url },
    });
    floor = new TestFloor(tether);
  }, 120_000);
  afterAll(async () => {
    await tether?.stop();
    await receiver?.close();
  });

  const transferredOf = (contactId: string) => (c: ReceivedCallback) => {
    const body = c.body as { event?: string; contactId?: string };
    return body.event === 'contact.transferred' && body.contactId === contactId;
  };

  it('is delivered once, by a surviving process, after the platform comes back', async () => {
    const first = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await first.nextOffer();
    expect((await first.accept(offer.offerId)).ok).toBe(true);
    await receiver.received.take({
      matching: (c) => (c.body as { event?: string }).event === 'contact.connected',
    });

    const second = await floor.agent({ lines: ['sales'] });
    receiver.failNext(1_000_000); // the platform is down
    expect(
      (await first.transfer(call.contactId, { agentId: second.agentId }, 'warm', 'over to you')).ok,
    ).toBe(true);
    const transferOffer = await second.nextOffer();
    expect((await second.accept(transferOffer.offerId)).ok).toBe(true);
    // the accepting gateway tried at once and was refused
    const refused = await receiver.received.take({ matching: transferredOf(call.contactId) });
    expect(refused.answeredStatus).toBe(500);

    const gateway = tether.processes.find((p) => p.app === 'gateway')!;
    await gateway.child.kill('SIGKILL');
    receiver.failNext(0); // the platform is back
    await tether.startApp('gateway'); // and so is a gateway (the retry does not depend on it)

    const delivered = await waitFor(
      () => {
        const ok = receiver.received.history.filter(
          (c) => transferredOf(call.contactId)(c) && c.answeredStatus < 300,
        );
        return ok.length > 0 ? ok : undefined;
      },
      { what: 'the contact.transferred callback delivered', timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(delivered[0].body).toEqual({
      event: 'contact.transferred',
      callId: call.callId,
      contactId: call.contactId,
      fromAgentId: first.agentId,
      toAgentId: second.agentId,
    });
    // nothing more comes: delivered once
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(
      receiver.received.history.filter((c) => transferredOf(call.contactId)(c) && c.answeredStatus < 300),
    ).toHaveLength(1);
  }, 120_000);
});
