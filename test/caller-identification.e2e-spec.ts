import { expect } from '@jest/globals';
import { type Tether, TestFloor, startTether, uniquePhone } from '@tether/testing';

/** CONTRACT: callers are identified by caller id; known customers' cards and history travel with the offer. */
describe('caller identification', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether();
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  /** "+15551234567" written the ways callers' networks present it */
  const formats = (e164: string) => {
    const digits = e164.slice(2);
    return [
      e164,
      `+1 (${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`,
      `001${digits}`,
      `+1 ${digits.slice(0, 3)} ${digits.slice(3)}`,
    ];
  };

  it('a registered customer is known: the call says so and the offer carries their card', async () => {
    const phone = uniquePhone();
    const { id } = await floor.admin.createCustomer({
      name: 'Ivan Sidorov',
      phones: [phone],
      externalRef: `CRM-${phone}`,
    });
    const agent = await floor.agent({ lines: ['sales'] });

    const call = await floor.call('sales', { from: phone });
    expect(call.customer).toEqual({ id, known: true });

    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(offer.customer).toEqual(expect.objectContaining({ id, known: true, name: 'Ivan Sidorov' }));
  });

  it("a returning customer's offer carries their recent contacts with line, agent, resolution and notes", async () => {
    const phone = uniquePhone();
    const { id } = await floor.admin.createCustomer({ name: 'Olga Petrova', phones: [phone] });
    const agent = await floor.agent({ lines: ['sales'] });

    const first = await floor.call('sales', { from: phone });
    const firstOffer = await agent.nextOffer();
    expect(firstOffer.customer.recentContacts).toEqual([]);
    expect(await agent.accept(firstOffer.offerId)).toEqual(expect.objectContaining({ ok: true }));
    expect(await agent.complete(first.contactId, 'follow_up', 'wants a quote for 20 seats')).toEqual(
      expect.objectContaining({ ok: true }),
    );

    await floor.call('sales', { from: phone });
    const second = await agent.nextOffer();
    expect(second.customer.id).toBe(id);
    expect(second.customer.recentContacts).toEqual([
      expect.objectContaining({
        id: first.contactId,
        line: 'sales',
        agentId: agent.agentId,
        resolution: 'follow_up',
        notes: 'wants a quote for 20 seats',
      }),
    ]);
  });

  it('an unknown caller gets a provisional customer whose history shows the contact', async () => {
    const call = await floor.call('service');
    expect(call.customer.known).toBe(false);

    const customer = await floor.admin.getCustomer(call.customer.id);
    expect(customer.known).toBe(false);
    expect(customer.contacts).toEqual([
      expect.objectContaining({
        id: call.contactId,
        line: 'service',
        channel: 'voice',
        agentId: null,
        resolution: null,
        notes: null,
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      }),
    ]);
  });

  it('different formats of one number are one customer', async () => {
    const [e164, ...others] = formats(uniquePhone());
    const first = await floor.call('presales', { from: e164 });
    for (const from of others) {
      const call = await floor.call('presales', { from });
      expect(call.customer.id).toBe(first.customer.id);
    }
    const customer = await floor.admin.getCustomer(first.customer.id);
    expect(customer.phones).toEqual([e164]);
    expect(customer.contacts).toHaveLength(others.length + 1);
  });

  it('registering a number in one format makes calls in another format known', async () => {
    const [e164, spaced] = formats(uniquePhone());
    const { id } = await floor.admin.createCustomer({ name: 'Anna K', phones: [spaced] });
    const call = await floor.call('sales', { from: `001${e164.slice(2)}` });
    expect(call.customer).toEqual({ id, known: true });
  });

  it('registering an unknown caller adopts their earlier contacts', async () => {
    const phone = uniquePhone();
    const earlier = await floor.call('sales', { from: phone });
    const { id } = await floor.admin.createCustomer({ name: 'Late Registrant', phones: [phone] });
    expect(id).toBe(earlier.customer.id);
    const customer = await floor.admin.getCustomer(id);
    expect(customer).toEqual(expect.objectContaining({ known: true, name: 'Late Registrant' }));
    expect(customer.contacts.map((c) => c.id)).toEqual([earlier.contactId]);
  });
});
