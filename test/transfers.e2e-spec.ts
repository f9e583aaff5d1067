import { expect } from '@jest/globals';
import {
  type AgentClient,
  CallbackReceiver,
  type CallView,
  type OfferEvent,
  type ReceivedCallback,
  type Tether,
  TestFloor,
  startTether,
  uniquePhone,
} from '@tether/testing';

/**
 * Transfers with context, through the public surfaces: warm and cold, to an agent, to another line (keeping the
 * caller's place) and to the case owner; the receiving offer carries the story and the transfer note; exactly one
 * signed `contact.transferred` callback per re-bridge; a transfer nobody can take comes back; a hang-up ends one.
 */
describe('transfers', () => {
  let tether: Tether;
  let floor: TestFloor;
  let receiver: CallbackReceiver;

  beforeAll(async () => {
    receiver = await CallbackReceiver.start();
    tether = await startTether({
      env: { TETHER_TELEPHONY_CALLBACK_URL: receiver.url, TETHER_TRANSFER_TIMEOUT_SECONDS: '2' },
    });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    await receiver?.close();
  });

  const callbacksFor = (contactId: string, event: string): ReceivedCallback[] =>
    receiver.received.history.filter((c) => {
      const body = c.body as { contactId?: string; event?: string };
      return body.contactId === contactId && body.event === event;
    });

  async function connect(agent: AgentClient, call: CallView): Promise<OfferEvent> {
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    return offer;
  }

  it('warm to an agent: the first stays on until the second accepts; one contact.transferred callback', async () => {
    const first = await floor.agent({ lines: ['sales'], name: 'Fiona First' });
    const call = await floor.call('sales', { from: uniquePhone() });
    await connect(first, call);
    const second = await floor.agent({ lines: ['sales'] });

    const ack = await first.transfer(
      call.contactId,
      { agentId: second.agentId },
      'warm',
      'wants the annual plan',
    );
    expect(ack).toMatchObject({ ok: true, contactId: call.contactId, line: 'sales' });
    const offer = await second.nextOffer();
    expect(offer).toMatchObject({
      reason: 'transfer',
      contact: { id: call.contactId, callId: call.callId },
      transfer: {
        kind: 'agent',
        mode: 'warm',
        from: { id: first.agentId, name: 'Fiona First' },
        fromLine: 'sales',
        note: 'wants the annual plan',
      },
    });
    // still the first agent's until accepted: they cannot complete it meanwhile
    expect(await first.complete(call.contactId, 'resolved')).toEqual({
      ok: false,
      error: expect.stringContaining('being transferred'),
    });
    expect((await second.accept(offer.offerId)).ok).toBe(true);
    expect(await first.transferred.take()).toMatchObject({
      contactId: call.contactId,
      toAgentId: second.agentId,
    });

    const rebridge = await receiver.received.take({
      matching: (c) => (c.body as { event?: string }).event === 'contact.transferred',
    });
    expect(rebridge.body).toEqual({
      event: 'contact.transferred',
      callId: call.callId,
      contactId: call.contactId,
      fromAgentId: first.agentId,
      toAgentId: second.agentId,
    });
    expect(rebridge.headers['x-tether-signature']).toMatch(/^t=\d+,v2=[0-9a-f]{64}$/);
    const view = await floor.line('sales').getCall(call.callId);
    expect(view.body).toMatchObject({ status: 'connected', agent: { id: second.agentId } });
    // the first agent is free again: the next call is theirs (idle longest)
    const next = await floor.call('sales');
    expect((await first.nextOffer()).contact.id).toBe(next.contactId);
    expect((await second.complete(call.contactId, 'resolved', 'sold')).ok).toBe(true);
    expect(callbacksFor(call.contactId, 'contact.transferred')).toHaveLength(1);
  });

  it('cold to another line: released at once, ahead of that line’s newer callers, never re-identified', async () => {
    const phone = uniquePhone();
    // service is busy: someone was already waiting there before this caller rang sales
    const earlier = await floor.call('service');
    const salesAgent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales', { from: phone });
    await connect(salesAgent, call);
    const ack = await salesAgent.transfer(
      call.contactId,
      { line: 'service' },
      'cold',
      'it is a fault, not a sale',
    );
    expect(ack).toMatchObject({ ok: true, line: 'service' });
    const later = await floor.call('service');
    // cold: the sales agent takes their next call at once
    const salesNext = await floor.call('sales');
    expect((await salesAgent.nextOffer()).contact.id).toBe(salesNext.contactId);

    const serviceAgent = await floor.agent({ lines: ['service'], capacity: { voice: 3 } });
    // the service floor sees the transferred caller in its queue, in their place
    expect(serviceAgent.queue.history[0].waiting.map((w) => w.contactId)).toEqual([
      earlier.contactId,
      call.contactId,
      later.contactId,
    ]);
    const offers = [
      await serviceAgent.nextOffer(),
      await serviceAgent.nextOffer(),
      await serviceAgent.nextOffer(),
    ];
    // queue order on service: the earlier caller, then the transferred one (it rang before `later`), then later
    expect(offers.map((o) => o.contact.id)).toEqual([earlier.contactId, call.contactId, later.contactId]);
    const transferred = offers[1];
    expect(transferred).toMatchObject({
      // the call stays the sales line's call (the platform keeps addressing it there); it waited on service
      contact: { line: 'sales' },
      customer: { id: call.customer.id },
      transfer: {
        kind: 'line',
        mode: 'cold',
        fromLine: 'sales',
        toLine: 'service',
        note: 'it is a fault, not a sale',
      },
    });
    expect((await serviceAgent.accept(transferred.offerId)).ok).toBe(true);
    const view = await floor.line('service').getCall(call.callId);
    expect(view.status).toBe(404); // the call id belongs to the line it arrived on
    expect((await floor.line('sales').getCall(call.callId)).body).toMatchObject({
      contactId: call.contactId,
      status: 'connected',
      agent: { id: serviceAgent.agentId },
    });
  });

  it('to the case owner: offered to them with the story and the note', async () => {
    await floor.rules('service', { sticky: { enabled: true, waitSeconds: 0 } });
    const phone = uniquePhone();
    const owner = await floor.agent({ lines: ['service'] });
    const first = await floor.call('service', { from: phone });
    await connect(owner, first);
    expect((await owner.complete(first.contactId, 'follow_up', 'modem replaced, check line')).ok).toBe(true);
    // the owner is busy when the customer calls again, so a colleague takes it
    const busy = await floor.call('service');
    await connect(owner, busy);
    const colleague = await floor.agent({ lines: ['service'] });
    const again = await floor.call('service', { from: phone });
    await connect(colleague, again);
    expect((await owner.complete(busy.contactId, 'resolved')).ok).toBe(true);

    expect(
      await colleague.transfer(again.contactId, { caseOwner: true }, 'warm', 'asks for Olga'),
    ).toMatchObject({
      ok: true,
    });
    const offer = await owner.nextOffer();
    expect(offer).toMatchObject({
      reason: 'case_owner',
      contact: { id: again.contactId },
      transfer: { kind: 'case_owner', note: 'asks for Olga', from: { id: colleague.agentId } },
      case: { owner: { id: owner.agentId } },
    });
    expect(offer.case!.contacts.map((c) => c.notes)).toContain('modem replaced, check line');
    expect((await owner.accept(offer.offerId)).ok).toBe(true);
    expect(await colleague.transferred.take()).toMatchObject({ toAgentId: owner.agentId });
  });

  it('nobody can take it: to a busy agent it comes back at once; to a line, after the timeout; the caller never drops', async () => {
    const first = await floor.agent({ lines: ['sales'] });
    const busy = await floor.agent({ lines: ['sales'], status: 'away' });
    const call = await floor.call('sales');
    await connect(first, call);

    // warm, to an agent who is away: straight back, still the first agent's
    expect((await first.transfer(call.contactId, { agentId: busy.agentId }, 'warm')).ok).toBe(true);
    expect(await first.transferReturned.take()).toMatchObject({
      contactId: call.contactId,
      mode: 'warm',
      reason: expect.stringContaining('is away'),
    });
    expect((await floor.line('sales').getCall(call.callId)).body).toMatchObject({
      status: 'connected',
      agent: { id: first.agentId },
    });
    await busy.expectNoOffer(200);

    // cold, to a line where nobody is: after the timeout (2 s here) it comes back and is offered to them first
    expect((await first.transfer(call.contactId, { line: 'presales' }, 'cold', 'try presales')).ok).toBe(
      true,
    );
    const returned = await first.transferReturned.take({ timeoutMs: 6_000 });
    expect(returned).toMatchObject({
      mode: 'cold',
      reason: expect.stringContaining('nobody took it within 2 s'),
    });
    const offer = await first.nextOffer();
    expect(offer).toMatchObject({ reason: 'sticky', contact: { id: call.contactId, line: 'sales' } });
    expect((await first.accept(offer.offerId)).ok).toBe(true);
    expect((await first.complete(call.contactId, 'resolved')).ok).toBe(true);
    expect(callbacksFor(call.contactId, 'contact.transferred')).toHaveLength(0);
  });

  it('transfers racing hang-ups: every call ends, none is left queued or offered, nothing is lost', async () => {
    const first = await floor.agent({ lines: ['presales'], capacity: { voice: 10 } });
    const calls: CallView[] = [];
    for (let i = 0; i < 10; i++) calls.push(await floor.call('presales'));
    for (let i = 0; i < 10; i++) {
      const offer = await first.nextOffer();
      expect((await first.accept(offer.offerId)).ok).toBe(true);
    }
    const target = await floor.agent({ lines: ['service'] });
    const results = await Promise.all(
      calls.map((call, i) =>
        Promise.all([
          first.transfer(call.contactId, { line: 'service' }, i % 2 === 0 ? 'warm' : 'cold'),
          floor.line('presales').postEvent(call.callId, 'hangup'),
        ]),
      ),
    );
    for (const [ack, hangup] of results) {
      expect(hangup.status).toBe(200);
      // either order is fine: transferred then ended, or ended first and the transfer refused
      if (!ack.ok) expect(ack.error).toMatch(/not/);
    }
    for (const call of calls) {
      const view = await floor.line('presales').getCall(call.callId);
      expect(view.body).toMatchObject({ status: 'ended' });
    }
    // an offer that reached the target before the hang-up was withdrawn; none is left for them to take
    await new Promise((resolve) => setTimeout(resolve, 500));
    const offered = target.offers.history.map((o) => o.offerId).sort();
    expect(target.revoked.history.map((r) => r.offerId).sort()).toEqual(offered);
    for (const revoked of target.revoked.history) expect(revoked.reason).toBe('caller_hung_up');
    for (const call of calls) {
      const done = await first.complete(call.contactId, 'unresolved', 'caller left');
      // a cold transfer released the agent already: their work on it was over
      if (!done.ok) expect(done.error).toMatch(/not assigned|already completed|not yours|not found/i);
    }
  });

  it('a hang-up during a transfer ends it cleanly; bad transfers are refused with the field named', async () => {
    const first = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    await connect(first, call);
    const target = await floor.agent({ lines: ['sales'], status: 'away' });

    expect(await first.transfer(call.contactId, { line: 'service' }, 'warm')).toMatchObject({ ok: true });
    const hangup = await floor.line('sales').postEvent(call.callId, 'hangup');
    expect(hangup.status).toBe(200);
    expect(await first.ended.take()).toMatchObject({ contactId: call.contactId, reason: 'caller_hung_up' });
    // the warm agent completes it as any call whose caller hung up
    expect((await first.complete(call.contactId, 'unresolved', 'caller left')).ok).toBe(true);

    const other = await floor.call('sales');
    await connect(first, other);
    for (const [payload, field] of [
      [{ contactId: other.contactId, to: { agentId: first.agentId }, mode: 'warm' }, 'yourself'],
      [{ contactId: other.contactId, to: { line: 'marketing' }, mode: 'cold' }, 'marketing'],
      [
        { contactId: other.contactId, to: { agentId: target.agentId, line: 'sales' }, mode: 'cold' },
        'to must be',
      ],
      [{ contactId: other.contactId, to: { agentId: target.agentId }, mode: 'lukewarm' }, 'mode'],
      [{ contactId: other.contactId, to: { caseOwner: true }, mode: 'cold' }, 'to.caseOwner'],
      [{ contactId: call.contactId, to: { agentId: target.agentId }, mode: 'cold' }, 'not'],
    ] as const) {
      const ack = await first.emitRaw('contact:transfer', payload);
      expect(ack).toEqual({ ok: false, error: expect.stringContaining(field) });
    }
  });
});
