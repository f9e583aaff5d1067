import { expect } from '@jest/globals';
import {
  type AgentClient,
  type CallView,
  type OfferEvent,
  type Tether,
  TestFloor,
  startTether,
  uniquePhone,
  waitFor,
} from '@tether/testing';

/** CONTRACT: who gets which call: longest idle, sticky (with its wait), lines, IVR intents to skills. */
describe('routing', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    // a disconnected agent is offline after 1 s instead of 15
    tether = await startTether({ env: { TETHER_AGENT_DISCONNECT_GRACE_SECONDS: '1' } });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  /** The agent takes their next offer, which must be for `call`. */
  async function answer(agent: AgentClient, call: CallView): Promise<OfferEvent> {
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(await agent.accept(offer.offerId)).toEqual(expect.objectContaining({ ok: true }));
    return offer;
  }

  /** `agent` handles a call from `phone` start to finish, which makes them the caller's last agent on the line. */
  async function serve(agent: AgentClient, phone: string): Promise<void> {
    const call = await floor.call('sales', { from: phone });
    await answer(agent, call);
    expect(await agent.complete(call.contactId, 'resolved')).toEqual(expect.objectContaining({ ok: true }));
  }

  /** Keeps `agent` busy on a call of some other customer (accepted, not completed). */
  async function keepBusy(agent: AgentClient): Promise<CallView> {
    const call = await floor.call('sales');
    await answer(agent, call);
    return call;
  }

  it('the longest idle of two available agents gets the call', async () => {
    const first = await floor.agent({ lines: ['sales'], status: null });
    const second = await floor.agent({ lines: ['sales'], status: null });
    // the agent created second becomes available first: order of creation must not be what decides
    await second.setStatus('available');
    await first.setStatus('available');

    const call = await floor.call('sales');
    const offer = await second.nextOffer();
    expect(offer).toEqual(
      expect.objectContaining({ reason: 'skills', contact: expect.objectContaining({ id: call.contactId }) }),
    );
    await first.expectNoOffer(300);

    // the second call goes to the one left free
    const next = await floor.call('sales');
    expect((await first.nextOffer()).contact.id).toBe(next.contactId);
  });

  it('sticky beats longest idle: a returning caller goes to their last agent', async () => {
    await floor.rules('sales', { sticky: { enabled: true, waitSeconds: 30 } });
    const phone = uniquePhone();
    const last = await floor.agent({ lines: ['sales'] });
    const call1 = await floor.call('sales', { from: phone });
    await answer(last, call1);
    const other = await floor.agent({ lines: ['sales'] }); // idle since before `last` finishes: idle longer
    expect(await last.complete(call1.contactId, 'resolved')).toEqual(expect.objectContaining({ ok: true }));

    const call2 = await floor.call('sales', { from: phone });
    const offer = await last.nextOffer();
    expect(offer.contact.id).toBe(call2.contactId);
    expect(offer.reason).toBe('sticky');
    await other.expectNoOffer(300);
  });

  it('sticky waits waitSeconds while the last agent is busy, then widens to another agent', async () => {
    await floor.rules('sales', { sticky: { enabled: true, waitSeconds: 2 } });
    const phone = uniquePhone();
    const last = await floor.agent({ lines: ['sales'] });
    await serve(last, phone);
    await keepBusy(last);
    const other = await floor.agent({ lines: ['sales'] });

    const postedAt = Date.now();
    const call = await floor.call('sales', { from: phone });
    await other.expectNoOffer(1_500);
    const offer = await other.nextOffer(4_000);
    const waitedMs = Date.now() - postedAt;
    expect(offer.contact.id).toBe(call.contactId);
    expect(offer.reason).toBe('skills');
    expect(waitedMs).toBeGreaterThanOrEqual(1_900);
    expect(waitedMs).toBeLessThan(4_000);
  });

  it('sticky also waits for a last agent who is signed in but away', async () => {
    await floor.rules('sales', { sticky: { enabled: true, waitSeconds: 2 } });
    const phone = uniquePhone();
    const last = await floor.agent({ lines: ['sales'] });
    await serve(last, phone);
    expect((await last.setStatus('away')).ok).toBe(true);
    const other = await floor.agent({ lines: ['sales'] });

    const postedAt = Date.now();
    const call = await floor.call('sales', { from: phone });
    await other.expectNoOffer(1_500);
    expect((await other.nextOffer(4_000)).contact.id).toBe(call.contactId);
    expect(Date.now() - postedAt).toBeGreaterThanOrEqual(1_900);
  });

  it('the last agent becoming free within the wait gets the call at once', async () => {
    await floor.rules('sales', { sticky: { enabled: true, waitSeconds: 20 } });
    const phone = uniquePhone();
    const last = await floor.agent({ lines: ['sales'] });
    await serve(last, phone);
    const busyWith = await keepBusy(last);
    const other = await floor.agent({ lines: ['sales'] });

    const call = await floor.call('sales', { from: phone });
    await other.expectNoOffer(700);
    expect((await floor.line('sales').getCall(call.callId)).body.status).toBe('queued');

    const freedAt = Date.now();
    expect(await last.complete(busyWith.contactId, 'resolved')).toEqual(
      expect.objectContaining({ ok: true }),
    );
    const offer = await last.nextOffer(2_000);
    expect(offer.contact.id).toBe(call.contactId);
    expect(offer.reason).toBe('sticky');
    expect(Date.now() - freedAt).toBeLessThan(1_000);
    await other.expectNoOffer(200);
  });

  it('a last agent who is offline (disconnected past the grace) is not waited for', async () => {
    await floor.rules('sales', { sticky: { enabled: true, waitSeconds: 30 } });
    const phone = uniquePhone();
    const last = await floor.agent({ lines: ['sales'] });
    await serve(last, phone);
    last.close();
    await waitFor(async () => (await floor.admin.getAgent(last.agentId)).presence.state === 'offline', {
      what: 'the disconnected agent to go offline after the 1 s grace',
      timeoutMs: 5_000,
    });
    const other = await floor.agent({ lines: ['sales'] });

    const postedAt = Date.now();
    const call = await floor.call('sales', { from: phone });
    const offer = await other.nextOffer(2_000);
    expect(offer.contact.id).toBe(call.contactId);
    expect(offer.reason).toBe('skills');
    expect(Date.now() - postedAt).toBeLessThan(1_500);
  });

  it('a sales agent never receives a service call', async () => {
    const salesAgent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('service');
    await salesAgent.expectNoOffer(1_000);
    expect((await floor.line('service').getCall(call.callId)).body.status).toBe('queued');

    const serviceAgent = await floor.agent({ lines: ['service'] });
    expect((await serviceAgent.nextOffer()).contact).toEqual(
      expect.objectContaining({ id: call.contactId, line: 'service' }),
    );
    await salesAgent.expectNoOffer(200);
  });

  it('an IVR intent routes by the skills the line rules map it to', async () => {
    await floor.rules('service', { intents: { billing: { skills: { billing: 5 } } } });
    // idle longest first: nobody qualified before the specialist
    const generalist = await floor.agent({ lines: ['service'] });
    const junior = await floor.agent({ lines: ['service'], skills: { billing: 3 } });
    const specialist = await floor.agent({ lines: ['service'], skills: { billing: 7, tech: 2 } });

    const billing = await floor.call('service', { ivr: { intent: 'billing', digits: '2' } });
    const offer = await specialist.nextOffer();
    expect(offer.contact).toEqual(
      expect.objectContaining({ id: billing.contactId, ivr: expect.objectContaining({ intent: 'billing' }) }),
    );
    expect(offer.reason).toBe('skills');
    await Promise.all([generalist.expectNoOffer(300), junior.expectNoOffer(300)]);

    // an intent with no rule asks for nothing: the longest idle agent takes it
    const other = await floor.call('service', { ivr: { intent: 'weather' } });
    expect((await generalist.nextOffer()).contact.id).toBe(other.contactId);
  });
});
