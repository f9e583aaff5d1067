import { expect } from '@jest/globals';
import { type Tether, TestFloor, startTether, uniqueCallId, uniquePhone } from '@tether/testing';

/** CONTRACT: an offer is accepted, rejected, expires or is revoked, and exactly one outcome wins. */
describe('offers', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether();
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  it('an offer not answered within offerTimeoutSeconds expires: revoked, agent set away, routed on', async () => {
    await floor.rules('sales', { offerTimeoutSeconds: 1 });
    const sleepy = await floor.agent({ lines: ['sales'] });
    const other = await floor.agent({ lines: ['sales'] });

    const call = await floor.call('sales');
    const offer = await sleepy.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    const expiresInMs = Date.parse(offer.expiresAt) - Date.now();
    expect(expiresInMs).toBeGreaterThan(0);
    expect(expiresInMs).toBeLessThanOrEqual(1_100);

    expect(await sleepy.nextRevoked(3_000)).toEqual(
      expect.objectContaining({ offerId: offer.offerId, reason: 'expired' }),
    );
    expect(await sleepy.nextPresence((event) => event.state === 'away')).toEqual(
      expect.objectContaining({ state: 'away' }),
    );
    expect((await floor.admin.getAgent(sleepy.agentId)).presence.state).toBe('away');

    const rerouted = await other.nextOffer(3_000);
    expect(rerouted.contact.id).toBe(call.contactId);
    expect(rerouted.offerId).not.toBe(offer.offerId);
    // away agents get nothing until they are available again
    await sleepy.expectNoOffer(300);
  });

  it('a rejected contact is routed on and never offered to the rejecting agent again', async () => {
    const first = await floor.agent({ lines: ['sales'] });
    const second = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');

    const offer1 = await first.nextOffer();
    expect(await first.reject(offer1.offerId, 'on a break')).toEqual(expect.objectContaining({ ok: true }));
    const offer2 = await second.nextOffer();
    expect(offer2.contact.id).toBe(call.contactId);
    expect(await second.reject(offer2.offerId)).toEqual(expect.objectContaining({ ok: true }));

    // both declined, both still available: the contact waits rather than bouncing back
    await Promise.all([first.expectNoOffer(1_200), second.expectNoOffer(1_200)]);
    expect((await floor.line('sales').getCall(call.callId)).body.status).toBe('queued');
    // and a rejecting agent is free for other contacts
    const next = await floor.call('sales');
    expect((await first.nextOffer()).contact.id).toBe(next.contactId);
  });

  it('a hangup while queued abandons the contact, which leaves the queue snapshot', async () => {
    const watcher = await floor.agent({ lines: ['sales'], status: 'away' });
    const call = await floor.call('sales');
    const listed = await watcher.nextQueue((q) => q.waiting.some((w) => w.contactId === call.contactId));
    expect(listed.waiting.find((w) => w.contactId === call.contactId)).toEqual(
      expect.objectContaining({ line: 'sales', channel: 'voice' }),
    );

    const hungUp = await floor.line('sales').hangup(call.callId);
    expect(hungUp.status).toBe(200);
    expect(hungUp.body.status).toBe('ended');
    expect(hungUp.body.endReason).toBe('abandoned');
    await watcher.nextQueue((q) => !q.waiting.some((w) => w.contactId === call.contactId));
    expect((await floor.line('sales').getCall(call.callId)).body.status).toBe('ended');
  });

  it('a call whose hang-up overtook its webhook is offered to nobody, while the next call is offered at once', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    const early = { callId: uniqueCallId(), from: uniquePhone(), to: '+15550000001' };
    expect((await floor.line('sales').hangup(early.callId)).status).toBe(202);
    const late = await floor.line('sales').postCall(early);
    expect(late.status).toBe(201);
    expect(late.body.status).toBe('ended');
    await agent.expectNoOffer(500);
    // the control: the same agent, available all along, is offered the next call
    const next = await floor.call('sales');
    expect((await agent.nextOffer()).contact.id).toBe(next.contactId);
  });

  it('a hangup while offered revokes the offer (caller_hung_up); accepting it afterwards fails', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await agent.nextOffer();

    expect((await floor.line('sales').hangup(call.callId)).body.status).toBe('ended');
    expect(await agent.nextRevoked()).toEqual(
      expect.objectContaining({ offerId: offer.offerId, reason: 'caller_hung_up' }),
    );
    const ack = await agent.accept(offer.offerId);
    expect(ack.ok).toBe(false);
    expect(ack).toEqual(expect.objectContaining({ error: expect.stringMatching(/hung up|revoked/) }));
    expect((await floor.line('sales').getCall(call.callId)).body.agent).toBeUndefined();

    // the slot was given back: the agent gets the next call
    const next = await floor.call('sales');
    expect((await agent.nextOffer()).contact.id).toBe(next.contactId);
  });

  it('accepting an expired offer fails', async () => {
    await floor.rules('sales', { offerTimeoutSeconds: 1 });
    const agent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await agent.nextOffer();
    await agent.nextRevoked(3_000);

    const ack = await agent.accept(offer.offerId);
    expect(ack).toEqual({ ok: false, error: expect.stringMatching(/expired/) });
    expect((await floor.line('sales').getCall(call.callId)).body.status).toBe('queued');
  });

  it("race: A's late accept and B's accept of the re-offered contact at the same moment: only B's wins", async () => {
    await floor.rules('sales', { offerTimeoutSeconds: 1 });
    const a = await floor.agent({ lines: ['sales'] });
    const b = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offerA = await a.nextOffer();
    const offerB = await b.nextOffer(4_000); // A's offer expired and the contact moved on

    const [ackA, ackB] = await Promise.all([a.accept(offerA.offerId), b.accept(offerB.offerId)]);
    expect(ackA.ok).toBe(false);
    expect(ackB).toEqual(expect.objectContaining({ ok: true, contactId: call.contactId }));
    const view = (await floor.line('sales').getCall(call.callId)).body;
    expect(view).toEqual(expect.objectContaining({ status: 'connected', agent: { id: b.agentId } }));
  });

  it('an accept landing at the moment of expiry either wins or loses cleanly, never both', async () => {
    await floor.rules('sales', { offerTimeoutSeconds: 1 });
    const a = await floor.agent({ lines: ['sales'] });
    const b = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await a.nextOffer();

    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Date.parse(offer.expiresAt) - Date.now() - 5)),
    );
    const ack = await a.accept(offer.offerId);
    if (ack.ok) {
      expect((await floor.line('sales').getCall(call.callId)).body.agent).toEqual({ id: a.agentId });
      await Promise.all([a.revoked.expectNone(1_200), b.expectNoOffer(1_200)]);
    } else {
      expect(await a.nextRevoked(3_000)).toEqual(
        expect.objectContaining({ offerId: offer.offerId, reason: 'expired' }),
      );
      expect((await b.nextOffer(3_000)).contact.id).toBe(call.contactId);
    }
  });

  it('an agent has at most one pending voice offer (capacity 1)', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    const first = await floor.call('sales');
    const second = await floor.call('sales');
    expect((await agent.nextOffer()).contact.id).toBe(first.contactId);
    await agent.expectNoOffer(500);
    expect((await floor.line('sales').getCall(second.callId)).body.status).toBe('queued');
  });
});
