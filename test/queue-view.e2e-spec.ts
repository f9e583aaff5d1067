import { expect } from '@jest/globals';
import { type QueueEvent, type Tether, TestFloor, startTether, waitFor } from '@tether/testing';

/** CONTRACT: agents see the contacts waiting on their lines: on connect, and on change (coalesced). */
describe('queue view', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether();
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  const lists = (snapshot: QueueEvent, contactId: string) =>
    snapshot.waiting.some((w) => w.contactId === contactId);

  it('an agent gets a snapshot on connect, listing the contacts already waiting', async () => {
    const call = await floor.call('presales');
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // so waitingSeconds has something to count
    // offline: the agent watches without taking the call
    const agent = await floor.agent({ lines: ['presales'], status: null });
    const snapshot = await agent.nextQueue();
    expect(snapshot.waiting).toEqual(
      [
        { contactId: call.contactId, line: 'presales', channel: 'voice', waitingSeconds: expect.any(Number) },
      ].map((entry) => expect.objectContaining(entry)),
    );
    expect(snapshot.waiting[0].waitingSeconds).toBeGreaterThanOrEqual(1);
  });

  it('a new waiting contact appears, and disappears once offered', async () => {
    const watcher = await floor.agent({ lines: ['presales'], status: null });
    await watcher.nextQueue();
    const call = await floor.call('presales');
    const listed = await watcher.nextQueue((q) => lists(q, call.contactId));
    expect(listed.waiting.find((w) => w.contactId === call.contactId)).toEqual(
      expect.objectContaining({ line: 'presales', channel: 'voice', waitingSeconds: 0 }),
    );

    const taker = await floor.agent({ lines: ['presales'] });
    expect((await taker.nextOffer()).contact.id).toBe(call.contactId);
    await watcher.nextQueue((q) => !lists(q, call.contactId));
  });

  it('an agent on sales only never sees service contacts', async () => {
    const salesAgent = await floor.agent({ lines: ['sales'], status: null });
    const serviceAgent = await floor.agent({ lines: ['service'], status: null });
    const serviceCall = await floor.call('service');
    const salesCall = await floor.call('sales');

    await serviceAgent.nextQueue((q) => lists(q, serviceCall.contactId));
    await salesAgent.nextQueue((q) => lists(q, salesCall.contactId));
    await new Promise((resolve) => setTimeout(resolve, 500)); // let any late snapshot arrive
    for (const snapshot of salesAgent.queue.history) {
      expect(snapshot.waiting.every((w) => w.line === 'sales')).toBe(true);
    }
    expect(salesAgent.queue.history.some((q) => lists(q, serviceCall.contactId))).toBe(false);
  });

  it('a connect storm: 40 agents connecting at once each get a snapshot listing what already waits', async () => {
    // their snapshots are read together (one read per line set at a time), never before they asked
    const call = await floor.call('sales');
    const agents = await Promise.all(
      Array.from({ length: 40 }, () => floor.agent({ lines: ['sales'], status: null })),
    );
    const firsts = await Promise.all(agents.map((agent) => agent.nextQueue()));
    for (const snapshot of firsts) expect(lists(snapshot, call.contactId)).toBe(true);
  });

  it('an admin moving an agent to other lines moves their queue view at once', async () => {
    const agent = await floor.agent({ lines: ['sales'], status: null });
    await agent.nextQueue();
    await tether.admin().patchAgent(agent.agentId, { lines: ['service'] });
    const serviceCall = await floor.call('service');
    await agent.nextQueue((q) => lists(q, serviceCall.contactId));
  });

  it('an agent on two lines sees both in one snapshot', async () => {
    const agent = await floor.agent({ lines: ['sales', 'service'], status: null });
    const a = await floor.call('sales');
    const b = await floor.call('service');
    await agent.nextQueue((q) => lists(q, a.contactId) && lists(q, b.contactId));
  });

  it('a burst of 20 calls produces far fewer than 20 queue messages', async () => {
    const agent = await floor.agent({ lines: ['service'], status: null });
    await agent.nextQueue();
    const before = agent.queue.history.length;

    const calls = await Promise.all(Array.from({ length: 20 }, () => floor.call('service')));
    await waitFor(() => agent.queue.history.some((q) => calls.every((c) => lists(q, c.contactId))), {
      what: 'a snapshot listing all 20 calls',
      timeoutMs: 5_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // a trailing snapshot still counts
    const messages = agent.queue.history.length - before;
    expect(messages).toBeGreaterThanOrEqual(1);
    expect(messages).toBeLessThanOrEqual(8);
  });
});
