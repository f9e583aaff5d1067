import { expect } from '@jest/globals';
import { type Tether, type TetherAppProcess, TestFloor, startTether } from '@tether/testing';

/**
 * The same apps as separate processes over one PostgreSQL and Redis, with two gateways: events cross processes,
 * and an agent on either gateway is routed to as if there were one.
 */
describe('several processes', () => {
  let tether: Tether;
  let floor: TestFloor;
  let secondGateway: TetherAppProcess;

  beforeAll(async () => {
    tether = await startTether({ apps: ['admin', 'sales', 'gateway'] });
    secondGateway = await tether.startApp('gateway');
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  it('runs each app in its own process, a second gateway on its own port', () => {
    expect(tether.processes.map((p) => p.child.label).sort()).toEqual([
      'admin',
      'gateway',
      'gateway#2',
      'sales',
    ]);
    expect(secondGateway.url).not.toBe(tether.urls.gateway);
    expect(() => tether.urls.service).toThrow(/service was not started/);
  });

  it('a call on the sales process reaches agents on either gateway', async () => {
    const onFirst = await floor.agent({ lines: ['sales'] });
    const onSecond = await floor.agent({ lines: ['sales'], gatewayUrl: secondGateway.url });

    const call = await floor.call('sales');
    const offer = await onFirst.nextOffer(); // longest idle
    expect(offer.contact.id).toBe(call.contactId);
    expect((await onFirst.reject(offer.offerId)).ok).toBe(true);

    const rerouted = await onSecond.nextOffer();
    expect(rerouted.contact.id).toBe(call.contactId);
    expect(await onSecond.accept(rerouted.offerId)).toEqual(expect.objectContaining({ ok: true }));
    expect((await floor.line('sales').getCall(call.callId)).body).toEqual(
      expect.objectContaining({ status: 'connected', agent: { id: onSecond.agentId } }),
    );
  });

  it('queue snapshots reach watchers on both gateways', async () => {
    const first = await floor.agent({ lines: ['sales'], status: null });
    const second = await floor.agent({ lines: ['sales'], status: null, gatewayUrl: secondGateway.url });
    const call = await floor.call('sales');
    const lists = (q: { waiting: { contactId: string }[] }) =>
      q.waiting.some((w) => w.contactId === call.contactId);
    await Promise.all([first.nextQueue(lists), second.nextQueue(lists)]);
  });
});
