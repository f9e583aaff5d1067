import { randomInt } from 'node:crypto';
import { expect } from '@jest/globals';
import {
  CallbackReceiver,
  type ReceivedCallback,
  type Tether,
  TestFloor,
  startTether,
  uniquePhone,
  isValidTetherSignature,
  waitFor,
} from '@tether/testing';

interface IncidentView {
  id: string;
  status: string;
  eta: string | null;
  contactCount: number;
  noticeCount: number;
  updates: { kind: string; notified: boolean }[];
}

interface NoticeBody {
  event: string;
  noticeId: string;
  customerId: string;
  incidentId: string;
  update: string;
  channel: string;
  to: string;
  text: string;
}

/**
 * Incidents and proactive notice, through the public surfaces: an incident's announcement reaches only the callers it
 * affects (by phone prefix, by customer attribute, by line), the offer shows it, and every affected customer gets
 * one signed notice per update through TETHER_NOTIFY_URL (a local receiver standing in for the SMS gateway), retried
 * when the gateway fails and never sent twice.
 */
describe('incidents', () => {
  let tether: Tether;
  let floor: TestFloor;
  let gateway: CallbackReceiver;
  /** numbers under a prefix no other test's numbers use (uniquePhone stays below +15555…) */
  const block = `+15559${String(randomInt(0, 1000)).padStart(3, '0')}`;
  let next = 0;
  const blockPhone = () => `${block}${String(++next).padStart(3, '0')}`;

  beforeAll(async () => {
    gateway = await CallbackReceiver.start();
    tether = await startTether({
      env: { TETHER_NOTIFY_URL: gateway.url, TETHER_NOTIFY_RATE_PER_SECOND: '1000' },
    });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    await gateway?.close();
  });

  const noticesOf = (incidentId: string, ok = true): NoticeBody[] =>
    gateway.received.history
      .filter((c: ReceivedCallback) => (c.body as NoticeBody).incidentId === incidentId)
      .filter((c) => !ok || c.answeredStatus < 300)
      .map((c) => c.body as NoticeBody);

  it('the announcement reaches only affected callers: by phone prefix, by attribute, by line', async () => {
    const admin = tether.admin();
    const northPhone = uniquePhone();
    const north = await admin.createCustomer({
      name: 'North Customer',
      phones: [northPhone],
      attributes: { area: 'north' },
    });
    const incident = (
      await admin.request<IncidentView>('POST', '/v1/incidents', {
        title: 'Outage',
        announcement: 'We know about the outage in your area and are fixing it.',
        eta: '2030-01-01T12:00:00.000Z',
        affected: { phonePrefixes: [block], attributes: { area: ['north'] }, lines: ['presales'] },
      })
    ).body;
    expect(incident).toMatchObject({ status: 'open', eta: '2030-01-01T12:00:00.000Z' });

    const expected =
      'We know about the outage in your area and are fixing it. Expected to be fixed by 2030-01-01 12:00 UTC.';
    expect((await floor.call('service', { from: blockPhone() })).announcement).toBe(expected); // by prefix
    expect((await floor.call('service', { from: northPhone })).announcement).toBe(expected); // by attribute
    expect((await floor.call('presales')).announcement).toBe(expected); // by line
    expect((await floor.call('service')).announcement).toBeNull(); // none of these
    expect((await admin.request<IncidentView>('GET', `/v1/incidents/${incident.id}`)).body.contactCount).toBe(
      3,
    );

    // the agent sees it on the offer of an affected caller
    const agent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales', { from: northPhone });
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(offer.customer).toMatchObject({
      id: north.id,
      incident: { id: incident.id, title: 'Outage', status: 'open', announcement: expected },
    });

    // resolved: nobody hears it any more
    await admin.request('PATCH', `/v1/incidents/${incident.id}`, { status: 'resolved' });
    expect((await floor.call('service', { from: blockPhone() })).announcement).toBeNull();
  });

  it('notifies every affected customer once per update, signed; retried when the gateway fails, never twice', async () => {
    const admin = tether.admin();
    // a sub-block of its own: the callers of the test above are affected by `block` too
    const sub = `${block}9`;
    const phones = [`${sub}01`, `${sub}02`, `${sub}03`];
    const customers: { id: string }[] = [];
    for (const phone of phones)
      customers.push(await admin.createCustomer({ name: 'Customer', phones: [phone] }));
    const byEmail = await admin.createCustomer({
      name: 'Mail Customer',
      phones: [uniquePhone()],
      emails: ['mail.customer@example.com'],
      attributes: { node: `N-${block}` },
    });
    const prefersMail = await admin.createCustomer({
      name: 'Mail First',
      phones: [uniquePhone()],
      emails: ['mail.first@example.com'],
      attributes: { node: `N-${block}` },
      noticeChannel: 'email',
    });
    gateway.failNext(2); // the SMS gateway has a bad moment
    const incident = (
      await admin.request<IncidentView>('POST', '/v1/incidents', {
        title: 'Node down',
        announcement: 'Node maintenance.',
        affected: { phonePrefixes: [sub], attributes: { node: [`N-${block}`] } },
      })
    ).body;
    const affected = [...customers.map((c) => c.id), byEmail.id, prefersMail.id];
    await waitFor(() => noticesOf(incident.id).length >= affected.length, {
      what: 'a notice to every affected customer',
      timeoutMs: 20_000,
    });
    const opened = noticesOf(incident.id);
    expect(opened.map((n) => n.customerId).sort()).toEqual([...affected].sort());
    expect(opened.find((n) => n.customerId === customers[0].id)).toMatchObject({
      event: 'customer.notice',
      update: 'opened',
      channel: 'sms',
      to: phones[0],
      text: 'Node down: Node maintenance.',
    });
    // a customer with a phone number and an e-mail address is texted
    expect(opened.find((n) => n.customerId === byEmail.id)).toMatchObject({ channel: 'sms' });
    // ... unless they prefer e-mail
    expect(opened.find((n) => n.customerId === prefersMail.id)).toMatchObject({
      channel: 'email',
      to: 'mail.first@example.com',
    });
    const signed = gateway.received.history.find((c) => (c.body as NoticeBody).incidentId === incident.id)!;
    expect(
      isValidTetherSignature(
        tether.webhookSecret,
        signed.headers['x-tether-signature'] as string,
        'POST',
        signed.path,
        signed.rawBody,
      ),
    ).toBe(true);

    // a change of ETA is an update: one more notice each; a title change alone is not
    await admin.request('PATCH', `/v1/incidents/${incident.id}`, { title: 'Node N down' });
    await admin.request('PATCH', `/v1/incidents/${incident.id}`, { eta: '2030-01-01T18:00:00.000Z' });
    await waitFor(() => noticesOf(incident.id).length >= affected.length * 2, {
      what: 'the ETA update to every affected customer',
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const all = noticesOf(incident.id);
    expect(all).toHaveLength(affected.length * 2);
    expect(new Set(all.map((n) => n.noticeId)).size).toBe(all.length); // never twice
    expect(
      all.filter((n) => n.update === 'update').every((n) => n.text.includes('2030-01-01 18:00 UTC')),
    ).toBe(true);
    const view = (await admin.request<IncidentView>('GET', `/v1/incidents/${incident.id}`)).body;
    expect(view.noticeCount).toBe(affected.length * 2);
    expect(view.updates.map((u) => u.kind)).toEqual(['opened', 'update']);

    // the customer's export lists what they were sent, and where
    const exported = await admin.exportCustomer(customers[0].id);
    expect(exported.notices).toEqual([
      expect.objectContaining({ incidentId: incident.id, channel: 'sms', to: phones[0] }),
      expect.objectContaining({ incidentId: incident.id, channel: 'sms', to: phones[0] }),
    ]);

    // a notified customer calls: the agent sees they were told, and when
    const agent = await floor.agent({ lines: ['service'] });
    await floor.call('service', { from: phones[1] });
    const offer = await agent.nextOffer();
    expect(offer.customer.incident).toMatchObject({ id: incident.id, notifiedAt: expect.any(String) });
    expect(Date.parse(offer.customer.incident!.notifiedAt!)).toBeLessThanOrEqual(Date.now());
  });

  it('bad input names its field', async () => {
    const admin = tether.admin();
    for (const [body, field] of [
      [{}, 'title'],
      [{ title: 'x', announcement: 'y' }, 'affected'],
      [{ title: 'x', announcement: 'y', affected: {} }, 'affected'],
      [{ title: 'x', announcement: 'y', affected: { phonePrefixes: ['555'] } }, 'phonePrefixes'],
      [{ title: 'x', announcement: 'y', affected: { attributes: { area: 'north' } } }, 'attributes'],
      [{ title: 'x', announcement: 'y', affected: { lines: ['marketing'] } }, 'lines'],
      [{ title: 'x', announcement: 'y', status: 'fixed', affected: { lines: ['sales'] } }, 'status'],
    ] as const) {
      const response = await admin.request('POST', '/v1/incidents', body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain(field);
    }
    expect((await admin.request('GET', '/v1/incidents/00000000-0000-4000-8000-000000000000')).status).toBe(
      404,
    );
  });
});
