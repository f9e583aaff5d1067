import { randomInt } from 'node:crypto';
import { expect } from '@jest/globals';
import {
  CallbackReceiver,
  type ReceivedCallback,
  type Tether,
  TestFloor,
  startTether,
  uniquePhone,
  waitFor,
} from '@tether/testing';

interface NoticeBody {
  event: string;
  noticeId: string;
  customerId: string;
  incidentId: string;
}

/**
 * Reaching out across crashes, with several processes of each app: an incident's notices while the process sending
 * them is killed (`kill -9`) and another is started (none lost, one notice id per customer, re-sent at most once with
 * the same id: delivery is at least once, and the id is the receiver's de-duplication key); a callback that falls due
 * while the gateway of its owner is dead (the survivors escalate it; the team sees it and takes it; one dial).
 */
describe('faults: outreach across kills', () => {
  let tether: Tether;
  let floor: TestFloor;
  let notify: CallbackReceiver;
  let platform: CallbackReceiver;

  beforeAll(async () => {
    notify = await CallbackReceiver.start();
    platform = await CallbackReceiver.start();
    tether = await startTether({
      apps: ['admin', 'sales', 'gateway'],
      env: {
        TETHER_NOTIFY_URL: notify.url,
        TETHER_NOTIFY_RATE_PER_SECOND: '25',
        TETHER_TELEPHONY_CALLBACK_URL: platform.url,
      },
    });
    await Promise.all([tether.startApp('sales'), tether.startApp('gateway')]);
    floor = new TestFloor(tether);
  }, 120_000);
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    await notify?.close();
    await platform?.close();
  });

  it('incident notices: a sender killed mid-way and a new one started lose none and send each id once or twice at most', async () => {
    const admin = tether.admin();
    const prefix = `+15558${String(randomInt(0, 1000)).padStart(3, '0')}`;
    const customers: string[] = [];
    for (let i = 0; i < 75; i++)
      customers.push(
        (await admin.createCustomer({ name: 'Affected', phones: [`${prefix}${String(i).padStart(3, '0')}`] }))
          .id,
      );
    const incident = (
      await admin.request<{ id: string }>('POST', '/v1/incidents', {
        title: 'Fibre cut',
        announcement: 'A fibre cut affects your area.',
        affected: { phonePrefixes: [prefix] },
      })
    ).body;
    const delivered = () =>
      notify.received.history.filter(
        (c: ReceivedCallback) => (c.body as NoticeBody).incidentId === incident.id && c.answeredStatus < 300,
      );
    // 75 notices at 25/s take 3 s: kill a sender while they go out, and start another
    await waitFor(() => delivered().length >= 10, { what: 'the first notices', timeoutMs: 20_000 });
    // not the first sales process: the next test's calls go to that one
    const victim = tether.processes.filter((p) => p.app === 'sales')[1];
    await victim.child.kill('SIGKILL');
    await tether.startApp('sales');
    await waitFor(() => new Set(delivered().map((c) => (c.body as NoticeBody).customerId)).size === 75, {
      what: 'a notice delivered to every affected customer',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const bodies = delivered().map((c) => c.body as NoticeBody);
    const idsByCustomer = new Map<string, Set<string>>();
    for (const body of bodies)
      idsByCustomer.set(
        body.customerId,
        (idsByCustomer.get(body.customerId) ?? new Set()).add(body.noticeId),
      );
    expect([...idsByCustomer.keys()].sort()).toEqual([...customers].sort());
    // one notice (one id) per customer for the one update
    expect([...idsByCustomer.values()].every((ids) => ids.size === 1)).toBe(true);
    // at least once: only a delivery in flight when its sender died can come again, with the same id
    const deliveries = new Map<string, number>();
    for (const body of bodies) deliveries.set(body.noticeId, (deliveries.get(body.noticeId) ?? 0) + 1);
    expect(Math.max(...deliveries.values())).toBeLessThanOrEqual(2);
    expect(bodies.length - deliveries.size).toBeLessThanOrEqual(2);
  }, 120_000);

  it('a callback due while its owner’s gateway is dead is escalated by the survivors and taken by the team', async () => {
    const gateways = tether.processes.filter((p) => p.app === 'gateway');
    const phone = uniquePhone();
    const owner = await floor.agent({ lines: ['sales'], team: 'north', gatewayUrl: gateways[0].url });
    const teammate = await floor.agent({
      lines: ['sales'],
      team: 'north',
      gatewayUrl: gateways[1].url,
      status: 'away',
    });
    const first = await floor.call('sales', { from: phone });
    expect((await owner.accept((await owner.nextOffer()).offerId)).ok).toBe(true);
    expect((await owner.complete(first.contactId, 'resolved')).ok).toBe(true);
    expect((await owner.setStatus('away')).ok).toBe(true);

    const call = await floor.call('sales', { from: phone });
    const end = new Date(Date.now() + 4_000).toISOString();
    const confirmed = await floor.line('sales').requestCallback(call.callId, { window: { end } });
    expect(confirmed.body.callback).toMatchObject({ ownerAgentId: owner.agentId });
    await floor.line('sales').hangup(call.callId);
    await gateways[0].child.kill('SIGKILL');

    expect(await teammate.callbacksMissed.take({ timeoutMs: 15_000 })).toMatchObject({
      contactId: call.contactId,
      ownerId: owner.agentId,
    });
    const missed = await floor.admin.request<{ contactId: string }[]>(
      'GET',
      '/v1/callbacks?missed=true&line=sales',
    );
    expect(missed.body.map((c) => c.contactId)).toContain(call.contactId);
    expect((await teammate.setStatus('available')).ok).toBe(true);
    const offer = await teammate.nextOffer();
    expect(offer.contact).toMatchObject({ id: call.contactId, callback: { callerLeft: true } });
    expect((await teammate.accept(offer.offerId)).ok).toBe(true);
    await waitFor(
      () =>
        platform.received.history.some(
          (c) =>
            (c.body as { event?: string; contactId?: string }).contactId === call.contactId &&
            c.answeredStatus < 300,
        ),
      { what: 'the contact.dial', timeoutMs: 10_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(
      platform.received.history.filter(
        (c) => (c.body as { event?: string; contactId?: string }).contactId === call.contactId,
      ),
    ).toEqual([
      expect.objectContaining({
        body: expect.objectContaining({ event: 'contact.dial', agentId: teammate.agentId }),
      }),
    ]);
  }, 120_000);
});
