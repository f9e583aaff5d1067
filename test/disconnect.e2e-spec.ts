import { expect } from '@jest/globals';
import { type Tether, TestFloor, startTether, waitFor } from '@tether/testing';

/** CONTRACT: a dropped agent's pending offer moves on at once; a connected call stays theirs. */
describe('agent disconnect', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether({ env: { TETHER_AGENT_DISCONNECT_GRACE_SECONDS: '1' } });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  it('a pending offer of an agent who disconnects is offered to another agent promptly', async () => {
    await floor.rules('sales', { offerTimeoutSeconds: 60 }); // so only the disconnect can move it on
    const leaving = await floor.agent({ lines: ['sales'] });
    const staying = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await leaving.nextOffer();

    const droppedAt = Date.now();
    leaving.close();
    const rerouted = await staying.nextOffer(3_000);
    expect(Date.now() - droppedAt).toBeLessThan(3_000);
    expect(rerouted.contact.id).toBe(call.contactId);
    expect(rerouted.offerId).not.toBe(offer.offerId);
  });

  it('a connected contact stays with its agent after they disconnect, and they can complete it on return', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await agent.nextOffer();
    expect((await agent.accept(offer.offerId)).ok).toBe(true);

    agent.close();
    // past the grace: the agent is offline, and still the call is theirs
    await waitFor(async () => (await floor.admin.getAgent(agent.agentId)).presence.state === 'offline', {
      what: 'the agent to go offline after the 1 s grace',
      timeoutMs: 5_000,
    });
    expect((await floor.line('sales').getCall(call.callId)).body).toEqual(
      expect.objectContaining({ status: 'connected', agent: { id: agent.agentId } }),
    );

    const back = await floor.reconnect(agent);
    expect(await back.complete(call.contactId, 'resolved', 'finished after reconnecting')).toEqual(
      expect.objectContaining({ ok: true }),
    );
  });

  it('a reconnecting agent gets back the contacts they hold, and hears of a hang-up they missed', async () => {
    const agent = await floor.agent({ lines: ['sales'], capacity: { voice: 2 } });
    const calls = [await floor.call('sales'), await floor.call('sales')];
    for (const call of calls) {
      const offer = await agent.nextOffer();
      expect(offer.contact.id).toBe(call.contactId);
      expect((await agent.accept(offer.offerId)).ok).toBe(true);
    }

    agent.close();
    // the caller of the second contact hangs up while the agent is away: the contact:ended goes nowhere
    expect((await floor.line('sales').hangup(calls[1].callId)).body.status).toBe('ended');

    const back = await floor.reconnect(agent);
    const held = [await back.nextConnected(), await back.nextConnected()];
    expect(held.map((c) => c.contactId)).toEqual(calls.map((c) => c.contactId));
    for (const [i, contact] of held.entries()) {
      expect(contact).toEqual(
        expect.objectContaining({
          connectedAt: expect.any(String),
          contact: expect.objectContaining({
            id: calls[i].contactId,
            line: 'sales',
            callId: calls[i].callId,
          }),
          customer: expect.objectContaining({ id: calls[i].customer.id }),
        }),
      );
    }
    expect(await back.nextEnded()).toEqual({ contactId: calls[1].contactId, reason: 'caller_hung_up' });
    await back.held.expectNone(300);
    for (const call of calls)
      expect(await back.complete(call.contactId, 'resolved')).toEqual(expect.objectContaining({ ok: true }));

    // nothing held any more: a further reconnect gets no contact back
    back.close();
    const again = await floor.reconnect(agent);
    await again.held.expectNone(500);
  });

  it('a reconnect storm: each socket gets exactly its own held contacts; a revoked token among them is refused alone', async () => {
    // the handshakes arrive together, so their token checks and held-contact reads are batched: nothing may cross
    const agents = [];
    const calls = [];
    for (let i = 0; i < 4; i++) {
      const agent = await floor.agent({ lines: ['sales'] });
      const call = await floor.call('sales'); // the agents before are busy (one voice slot each): this one gets it
      const offer = await agent.nextOffer();
      expect(offer.contact.id).toBe(call.contactId);
      expect((await agent.accept(offer.offerId)).ok).toBe(true);
      agents.push(agent);
      calls.push(call);
    }
    for (const agent of agents) agent.close();
    const revoked = await floor.admin.issueAgentToken(agents[0].agentId);
    await floor.admin.revokeToken(agents[0].agentId, revoked.tokenId);
    const intruder = tether.agent(revoked.token, `${agents[0].agentId} (revoked token)`);
    try {
      const [refusal, ...backs] = await Promise.allSettled([
        intruder.connect(),
        ...agents.map((agent) => floor.reconnect(agent)),
      ]);
      expect(refusal).toEqual({
        status: 'rejected',
        reason: expect.objectContaining({ message: expect.stringMatching(/token revoked/) }),
      });
      for (const [i, back] of backs.entries()) {
        expect(back.status).toBe('fulfilled');
        const client = (back as PromiseFulfilledResult<Awaited<ReturnType<TestFloor['reconnect']>>>).value;
        expect((await client.nextConnected()).contactId).toBe(calls[i].contactId);
        await client.held.expectNone(300);
      }
    } finally {
      intruder.close();
    }
  });

  it('an agent who reconnects within the grace keeps their presence', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    agent.close();
    const back = await floor.reconnect(agent);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than the grace
    expect((await floor.admin.getAgent(agent.agentId)).presence).toEqual(
      expect.objectContaining({ state: 'available', connected: true }),
    );
    const call = await floor.call('sales');
    expect((await back.nextOffer()).contact.id).toBe(call.contactId);
  });
});
