import { expect } from '@jest/globals';
import {
  type AgentClient,
  type OfferEvent,
  type Tether,
  type TetherAppProcess,
  TelephonyClient,
  TestFloor,
  startTether,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';

/**
 * Two instances of every app over one PostgreSQL and one Redis behave like one process: calls posted to
 * either line-app instance reach agents on either gateway, each contact is offered exactly once, and a returning
 * caller finds their last agent whichever instances the calls and the agent went through.
 */
describe('scale-out: 2 instances of every app', () => {
  let tether: Tether;
  let floor: TestFloor;
  let second: Record<'admin' | 'sales' | 'presales' | 'service' | 'gateway', TetherAppProcess>;
  let salesInstances: TelephonyClient[];

  beforeAll(async () => {
    tether = await startTether({ apps: ['admin', 'sales', 'presales', 'service', 'gateway'] });
    const [admin, sales, presales, service, gateway] = await Promise.all(
      (['admin', 'sales', 'presales', 'service', 'gateway'] as const).map((app) => tether.startApp(app)),
    );
    second = { admin, sales, presales, service, gateway };
    floor = new TestFloor(tether);
    salesInstances = [tether.line('sales'), new TelephonyClient(second.sales.url, tether.webhookSecret)];
  }, 120_000);
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  it('runs two processes of each app', () => {
    const labels = tether.processes.map((p) => p.child.label).sort();
    for (const app of ['admin', 'sales', 'presales', 'service', 'gateway']) {
      expect(labels).toEqual(expect.arrayContaining([app, `${app}#2`]));
    }
  });

  it('calls alternated over both line instances, agents on both gateways: every contact offered exactly once', async () => {
    await floor.rules('sales', {
      sticky: { enabled: false, waitSeconds: 0 },
      offerTimeoutSeconds: 30,
      wrapUpSeconds: 0,
    });
    const agents: AgentClient[] = [];
    for (let i = 0; i < 8; i++) {
      agents.push(
        await floor.agent({ lines: ['sales'], gatewayUrl: i % 2 ? second.gateway.url : tether.urls.gateway }),
      );
    }
    const offersByContact = new Map<string, string[]>();
    let stop = false;
    // each agent answers everything it is offered, then completes after a moment
    const workers = agents.map(async (agent) => {
      while (!stop) {
        let offer: OfferEvent;
        try {
          offer = await agent.nextOffer(500);
        } catch {
          continue;
        }
        offersByContact.set(offer.contact.id, [
          ...(offersByContact.get(offer.contact.id) ?? []),
          agent.agentId,
        ]);
        const accepted = await agent.accept(offer.offerId);
        expect(accepted).toMatchObject({ ok: true });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(await agent.complete(offer.contact.id, 'resolved')).toMatchObject({ ok: true });
      }
    });

    const total = 40;
    const responses = await Promise.all(
      Array.from({ length: total }, (_, i) =>
        salesInstances[i % 2].postCall({ callId: uniqueCallId(), from: uniquePhone(), to: '+15550000001' }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(total).fill(201));
    const contactIds = responses.map((r) => r.body.contactId);
    await waitFor(() => contactIds.every((id) => offersByContact.has(id)), {
      what: `all ${total} contacts offered`,
      timeoutMs: 30_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // a double offer would arrive by now
    stop = true;
    await Promise.all(workers);
    const doubles = [...offersByContact.entries()].filter(([, to]) => to.length > 1);
    expect(doubles).toEqual([]);
    expect(offersByContact.size).toBe(total);
    // both gateways delivered offers
    const gatewayOf = new Map(agents.map((a, i) => [a.agentId, i % 2]));
    const perGateway = [0, 0];
    for (const [, [agentId]] of offersByContact) perGateway[gatewayOf.get(agentId)!]++;
    expect(perGateway[0]).toBeGreaterThan(0);
    expect(perGateway[1]).toBeGreaterThan(0);
  }, 60_000);

  it('the same callId posted to both instances at once makes one contact', async () => {
    const body = { callId: uniqueCallId(), from: uniquePhone(), to: '+15550000001' };
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => salesInstances[i % 2].postCall(body)),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((r) => r.body.contactId)).size).toBe(1);
    await salesInstances[0].hangup(body.callId);
  });

  it('sticky routing holds across instances', async () => {
    await floor.rules('sales', {
      sticky: { enabled: true, waitSeconds: 10 },
      offerTimeoutSeconds: 30,
      wrapUpSeconds: 0,
    });
    const phone = uniquePhone();
    const first = await floor.agent({ lines: ['sales'], gatewayUrl: second.gateway.url });
    // the first call (via instance 1) reaches the only agent, on gateway 2
    const call1 = await salesInstances[0].postCall({
      callId: uniqueCallId(),
      from: phone,
      to: '+15550000001',
    });
    const offer1 = await first.nextOffer();
    expect(offer1.contact.id).toBe(call1.body.contactId);
    await first.accept(offer1.offerId);
    // resolved: a follow-up would open a case, and the case owner (the same agent) would be why, not stickiness
    await first.complete(offer1.contact.id, 'resolved', 'promised a callback');

    // first takes another call and stays busy while `other` signs in: `other` is now idle longer than first will be
    const busy = await salesInstances[1].postCall({
      callId: uniqueCallId(),
      from: uniquePhone(),
      to: '+15550000001',
    });
    const busyOffer = await first.nextOffer();
    expect(busyOffer.contact.id).toBe(busy.body.contactId);
    await first.accept(busyOffer.offerId);
    const other = await floor.agent({ lines: ['sales'] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await first.complete(busyOffer.contact.id, 'resolved');

    // other has been idle longer than first, but the returning caller (via instance 2) goes back to first
    const call2 = await salesInstances[1].postCall({
      callId: uniqueCallId(),
      from: phone,
      to: '+15550000001',
    });
    const offer2 = await first.nextOffer();
    expect(offer2).toMatchObject({ reason: 'sticky', contact: { id: call2.body.contactId } });
    expect(offer2.customer.recentContacts?.[0]).toMatchObject({
      id: call1.body.contactId,
      notes: 'promised a callback',
    });
    await other.expectNoOffer(300);
  });
});
