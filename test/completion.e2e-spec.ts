import { expect } from '@jest/globals';
import { type AgentClient, type CallView, type Tether, TestFloor, startTether } from '@tether/testing';

/** CONTRACT: contact:complete records resolution and notes and frees the agent (after wrap-up, if any). */
describe('completion', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether();
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  async function connect(agent: AgentClient, call: CallView): Promise<void> {
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
  }

  it('completing frees the agent for the next call, and the history shows resolution and notes', async () => {
    const agent = await floor.agent({ lines: ['service'] });
    const call = await floor.call('service');
    await connect(agent, call);
    const waiting = await floor.call('service');
    await agent.expectNoOffer(300); // busy: capacity 1

    const ack = await agent.complete(call.contactId, 'unresolved', 'router keeps rebooting; escalated to L2');
    expect(ack).toEqual(expect.objectContaining({ ok: true, contactId: call.contactId }));
    expect((await agent.nextOffer()).contact.id).toBe(waiting.contactId);

    expect((await floor.line('service').getCall(call.callId)).body.status).toBe('ended');
    const customer = await floor.admin.getCustomer(call.customer.id);
    expect(customer.contacts[0]).toEqual(
      expect.objectContaining({
        id: call.contactId,
        line: 'service',
        agentId: agent.agentId,
        resolution: 'unresolved',
        notes: 'router keeps rebooting; escalated to L2',
      }),
    );
  });

  it('wrapUpSeconds delays the next offer', async () => {
    await floor.rules('service', { wrapUpSeconds: 2 });
    const agent = await floor.agent({ lines: ['service'] });
    const call = await floor.call('service');
    await connect(agent, call);
    const next = await floor.call('service');

    const completedAt = Date.now();
    const ack = await agent.complete(call.contactId, 'resolved');
    expect(ack).toEqual(expect.objectContaining({ ok: true, wrapUpUntil: expect.any(String) }));
    await agent.expectNoOffer(1_500);
    const offer = await agent.nextOffer(3_000);
    expect(offer.contact.id).toBe(next.contactId);
    expect(Date.now() - completedAt).toBeGreaterThanOrEqual(1_900);
  });

  it("completing someone else's contact fails, and so does completing twice", async () => {
    const owner = await floor.agent({ lines: ['service'] });
    const stranger = await floor.agent({ lines: ['service'], status: 'away' });
    const call = await floor.call('service');
    await connect(owner, call);

    const foreign = await stranger.complete(call.contactId, 'resolved', 'not mine');
    expect(foreign).toEqual({ ok: false, error: expect.any(String) });
    expect((await floor.line('service').getCall(call.callId)).body.status).toBe('connected');

    expect((await owner.complete(call.contactId, 'resolved')).ok).toBe(true);
    expect((await owner.complete(call.contactId, 'resolved')).ok).toBe(false);
    const customer = await floor.admin.getCustomer(call.customer.id);
    expect(customer.contacts[0]).toEqual(expect.objectContaining({ resolution: 'resolved', notes: null }));
  });

  it('an offered but not accepted contact cannot be completed', async () => {
    const agent = await floor.agent({ lines: ['service'] });
    const call = await floor.call('service');
    await agent.nextOffer();
    expect((await agent.complete(call.contactId, 'resolved')).ok).toBe(false);
  });

  it('an invalid resolution is refused naming the field', async () => {
    const agent = await floor.agent({ lines: ['service'] });
    const call = await floor.call('service');
    await connect(agent, call);
    expect(
      await agent.emitRaw('contact:complete', { contactId: call.contactId, resolution: 'done' }),
    ).toEqual({
      ok: false,
      error: expect.stringMatching(/resolution/),
    });
  });

  it('when the caller hangs up a connected call, the agent is told and is free once they complete it', async () => {
    const agent = await floor.agent({ lines: ['service'] });
    const call = await floor.call('service');
    await connect(agent, call);
    const next = await floor.call('service');

    expect((await floor.line('service').hangup(call.callId)).body.status).toBe('ended');
    expect(await agent.nextEnded()).toEqual(
      expect.objectContaining({ contactId: call.contactId, reason: 'caller_hung_up' }),
    );
    // still in after-call work on it: notes come first
    await agent.expectNoOffer(500);
    expect((await agent.complete(call.contactId, 'resolved', 'line dropped, called back')).ok).toBe(true);
    expect((await agent.nextOffer()).contact.id).toBe(next.contactId);
  });
});
