import { expect } from '@jest/globals';
import { randomInt } from 'node:crypto';
import {
  type AgentClient,
  type CallView,
  type ErrorBody,
  type RoutingRulesView,
  type Tether,
  TestFloor,
  startTether,
  uniquePhone,
} from '@tether/testing';

type View = RoutingRulesView & { warnings?: string[] };

/** Line rules (issue #15): decided at arrival, stages that widen, validation naming the path, rollback. */
describe('routing rules', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether();
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  const body = ({ line: _l, version: _v, updatedAt: _u, warnings: _w, ...rules }: View) => rules;

  async function take(agent: AgentClient, call: CallView): Promise<string> {
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(await agent.accept(offer.offerId)).toEqual(expect.objectContaining({ ok: true }));
    return offer.reason;
  }

  it('a VIP rule raises priority over earlier arrivals', async () => {
    const phone = uniquePhone();
    await floor.admin.createCustomer({
      name: 'Vera Important',
      phones: [phone],
      attributes: { segment: 'vip' },
    });
    await floor.rules('sales', {
      rules: [{ name: 'vip', when: { attributes: { segment: ['vip', 'gold'] } }, priority: 10 }],
    });
    const agent = await floor.agent({ lines: ['sales'], status: null });

    const first = await floor.call('sales');
    const vip = await floor.call('sales', { from: phone });
    expect(vip.queuePosition).toBe(1);
    const trace = (await floor.line('sales').getCall(vip.callId)).body as CallView & {
      routingTrace?: { text: string }[];
    };
    expect(trace.routingTrace?.[0].text).toMatch(/rule vip matched/);

    await agent.setStatus('available');
    await take(agent, vip);
    expect(await agent.complete(vip.contactId, 'resolved')).toEqual(expect.objectContaining({ ok: true }));
    await take(agent, first);
  });

  it('a stage widens at its boundary: only billing >= 7 for 2 s, then anyone on the line', async () => {
    const novice = await floor.agent({ lines: ['sales'], skills: { billing: 3 } });
    await floor.rules('sales', {
      rules: [
        {
          name: 'billing',
          when: { intent: ['billing'] },
          stages: [{ seconds: 2, skills: { billing: 7 } }, {}],
        },
      ],
    });
    const postedAt = Date.now();
    const call = await floor.call('sales', { ivr: { intent: 'billing' } });
    await novice.expectNoOffer(1_500);
    await take(novice, call);
    const waitedMs = Date.now() - postedAt;
    expect(waitedMs).toBeGreaterThanOrEqual(1_900);
    expect(waitedMs).toBeLessThan(5_000);

    // the contact's trace (admin): the rule at arrival, the offer with the stage it was made in
    const trace = await floor.admin.request<{ plan: unknown; trace: { text: string }[] }>(
      'GET',
      `/v1/contacts/${call.contactId}/trace`,
    );
    expect(trace.status).toBe(200);
    expect(trace.body.plan).toEqual({
      rule: 'billing',
      stages: [{ untilSeconds: 2, skills: { billing: 7 } }, { untilSeconds: null }],
    });
    const texts = trace.body.trace.map((entry) => entry.text);
    expect(texts[0]).toMatch(/rule billing matched/);
    expect(texts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`offered to ${novice.agentId}: .*rule billing, stage 2 of 2`)),
      ]),
    );
    expect((await floor.admin.request('GET', '/v1/contacts/not-a-contact/trace')).status).toBe(404);
  });

  it('after hours, the caller hears the rule’s announcement', async () => {
    await floor.rules('service', {
      calendar: { timeZone: 'Europe/Berlin', weekly: {} }, // never open
      rules: [
        { name: 'closed', when: { businessHours: 'closed' }, announcement: 'We are closed until 9:00.' },
      ],
    });
    const call = await floor.call('service');
    expect(call.announcement).toBe('We are closed until 9:00.');
    // the repeat of the webhook answers the same
    const again = await floor.line('service').getCall(call.callId);
    expect(again.body.announcement).toBe('We are closed until 9:00.');
  });

  it('an invalid rule set is a 400 naming the JSON path, and nothing changes', async () => {
    await floor.agent({ lines: ['sales'], skills: { billing: 5 }, status: null });
    const current = await floor.admin.getRouting('sales');
    const response = await floor.admin.request('PUT', '/v1/lines/sales/routing', {
      ...body(current),
      rules: [
        { name: 'ok', when: { intent: ['x'] }, priority: 1 },
        { name: 'bad', stages: [{ seconds: 5, skills: { billing: 7, cooking: 2 } }, {}, { seconds: 3 }] },
      ],
    });
    expect(response.status).toBe(400);
    const message = (response.body as ErrorBody).message;
    expect(message).toMatch(/rules\[1\]\.stages\[0\]\.skills\.cooking: unknown skill/);
    expect(message).toMatch(/rules\[1\]\.stages\[2\]: unreachable/);
    expect((await floor.admin.getRouting('sales')).version).toBe(current.version);
  });

  it('rollback restores the previous behaviour on the next decision', async () => {
    const before = await floor.rules('presales', {});
    await floor.rules('presales', { rules: [{ name: 'all', announcement: 'Hello from the rules' }] });
    expect((await floor.call('presales')).announcement).toBe('Hello from the rules');
    const version = (await floor.admin.getRouting('presales')).version;
    const rolledBack = await floor.admin.request<View>('POST', '/v1/lines/presales/routing/rollback', {
      version: version - 1,
    });
    expect(rolledBack.status).toBe(200);
    expect(body(rolledBack.body)).toEqual(before);
    expect((await floor.call('presales')).announcement).toBeNull();
  });

  it('a rule naming an agent who is then deleted: GET reports it and stays a valid PUT body', async () => {
    const agent = await floor.agent({ lines: ['sales'], status: null });
    const id = agent.agentId;
    await floor.rules('sales', {
      rules: [{ name: 'named', when: { intent: ['vip'] }, stages: [{ seconds: 5, agents: [id] }, {}] }],
    });
    agent.close();
    expect((await floor.admin.request('DELETE', `/v1/agents/${id}`)).status).toBe(204);
    const view = (await floor.admin.request<View>('GET', '/v1/lines/sales/routing')).body;
    expect(view.warnings).toEqual([
      expect.stringContaining(`rules[0].stages[0].agents[0]: agent ${id} was deleted`),
    ]);
    expect((await floor.admin.request('PUT', '/v1/lines/sales/routing', view)).status).toBe(200);
  });

  interface Simulation {
    rule: string | null;
    priority: number;
    agent: { id: string; reason: string } | null;
    trace: string;
    stages: {
      stage: number;
      current: boolean;
      target: string;
      candidates: { agentId: string; eligible: boolean; why: string | null }[];
    }[];
    queuePosition: number | null;
    estimatedWaitSeconds: number;
  }
  const simulate = (line: string, contact: object) =>
    floor.admin.request<Simulation>('POST', `/v1/lines/${line}/routing/simulate`, contact);

  it('the simulator names the agent that then gets the real offer', async () => {
    const longest = await floor.agent({ lines: ['service'] });
    await floor.agent({ lines: ['service'] });
    const phone = uniquePhone();
    const simulated = await simulate('service', { from: phone, ivr: { intent: 'anything' } });
    expect(simulated.status).toBe(200);
    expect(simulated.body).toEqual(
      expect.objectContaining({
        rule: null,
        agent: { id: longest.agentId, reason: 'skills' },
        queuePosition: null,
        estimatedWaitSeconds: 0,
      }),
    );
    expect(simulated.body.trace).toMatch(new RegExp(`longest idle eligible agent ${longest.agentId}`));
    const call = await floor.call('service', { from: phone, ivr: { intent: 'anything' } });
    expect(await take(longest, call)).toBe('skills');
  });

  it('the simulator explains each stage: who is out and why, and a later arrival time reaches a later stage', async () => {
    const expert = await floor.agent({ lines: ['sales'], skills: { billing: 8 }, status: 'away' });
    const novice = await floor.agent({ lines: ['sales'], skills: { billing: 3 } });
    await floor.rules('sales', {
      rules: [
        {
          name: 'billing',
          when: { intent: ['billing'] },
          priority: 3,
          stages: [{ seconds: 30, skills: { billing: 7 } }, {}],
        },
      ],
    });
    const now = await simulate('sales', { from: uniquePhone(), ivr: { intent: 'billing' } });
    expect(now.body).toEqual(
      expect.objectContaining({ rule: 'billing', priority: 3, agent: null, queuePosition: 1 }),
    );
    const [first, second] = now.body.stages;
    expect(first).toEqual(
      expect.objectContaining({ stage: 1, current: true, target: 'agents with billing>=7' }),
    );
    expect(first.candidates).toEqual(
      expect.arrayContaining([
        { agentId: expert.agentId, eligible: false, why: 'is away' },
        { agentId: novice.agentId, eligible: false, why: 'lacks billing>=7 (has 3)' },
      ]),
    );
    expect(second).toEqual(
      expect.objectContaining({ stage: 2, current: false, target: 'anyone on the line' }),
    );
    expect(second.candidates).toEqual(
      expect.arrayContaining([{ agentId: novice.agentId, eligible: true, why: null }]),
    );

    const later = await simulate('sales', {
      from: uniquePhone(),
      ivr: { intent: 'billing' },
      at: new Date(Date.now() - 40_000).toISOString(),
    });
    expect(later.body.agent).toEqual({ id: novice.agentId, reason: 'skills' });
    expect(later.body.stages[1].current).toBe(true);

    // an older version decides without the rule
    const version = (await floor.admin.getRouting('sales')).version;
    const old = await simulate('sales', {
      from: uniquePhone(),
      ivr: { intent: 'billing' },
      version: version - 1,
    });
    expect(old.body).toEqual(
      expect.objectContaining({ rule: null, agent: { id: novice.agentId, reason: 'skills' } }),
    );
    expect((await simulate('sales', { from: uniquePhone(), version: 999_999 })).status).toBe(404);
    expect((await simulate('sales', { channel: 'fax' })).status).toBe(400);
  });

  it('a draft is saved, simulated, then activated; until then nothing routes by it', async () => {
    await floor.rules('presales', {});
    const live = await floor.admin.getRouting('presales');
    const draftRules = {
      ...body(live),
      rules: [{ name: 'draft-hello', announcement: 'Hello from the draft' }],
    };
    const saved = await floor.admin.request<{ basedOnVersion: number; author: string }>(
      'PUT',
      '/v1/lines/presales/routing/draft',
      draftRules,
    );
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual(
      expect.objectContaining({ basedOnVersion: live.version, author: expect.stringMatching(/^admin:/) }),
    );
    expect((await floor.call('presales')).announcement).toBeNull();

    const simulated = await simulate('presales', { from: uniquePhone(), draft: true });
    expect(simulated.body).toEqual(
      expect.objectContaining({ rule: 'draft-hello', draft: true, version: null }),
    );
    expect((await simulate('presales', { from: uniquePhone() })).body.rule).toBeNull();

    const invalid = await floor.admin.request('PUT', '/v1/lines/presales/routing/draft', {
      ...body(live),
      rules: [{ name: 'x', stages: [] }],
    });
    expect(invalid.status).toBe(400);
    expect((invalid.body as ErrorBody).message).toMatch(/rules\[0\]\.stages/);

    const stale = await floor.admin.request('POST', '/v1/lines/presales/routing/draft/activate', undefined, {
      headers: { 'if-match': `"${live.version - 1}"` },
    });
    expect(stale.status).toBe(412);
    const activated = await floor.admin.request<View>(
      'POST',
      '/v1/lines/presales/routing/draft/activate',
      undefined,
      {
        headers: { 'if-match': `"${live.version}"` },
      },
    );
    expect(activated.status).toBe(200);
    expect(activated.body.version).toBe(live.version + 1);
    expect((await floor.call('presales')).announcement).toBe('Hello from the draft');
    expect((await floor.admin.request('GET', '/v1/lines/presales/routing/draft')).status).toBe(404);
  });

  it('an agent–customer pair marked never-match is never offered, whoever is idle longest', async () => {
    const phone = uniquePhone();
    const customer = await floor.admin.createCustomer({ name: 'Nora Never', phones: [phone] });
    const longest = await floor.agent({ lines: ['service'] });
    const other = await floor.agent({ lines: ['service'] });
    await floor.rules('service', { neverMatch: [{ agentId: longest.agentId, customerId: customer.id }] });

    const simulated = await simulate('service', { from: phone });
    expect(simulated.body.agent).toEqual({ id: other.agentId, reason: 'skills' });
    const call = await floor.call('service', { from: phone });
    await take(other, call);
    await longest.expectNoOffer(300);
    const trace = await floor.admin.request<{ trace: { text: string }[] }>(
      'GET',
      `/v1/contacts/${call.contactId}/trace`,
    );
    expect(trace.body.trace.map((entry) => entry.text)).toEqual(
      expect.arrayContaining([`never matched with this customer on this line: ${longest.agentId}`]),
    );

    const bad = await floor.admin.request('PUT', '/v1/lines/service/routing', {
      ...body(await floor.admin.getRouting('service')),
      neverMatch: [{ agentId: longest.agentId, customerId: '00000000-0000-4000-8000-000000000000' }],
    });
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).message).toMatch(/neverMatch\[0\]\.customerId: unknown customer/);
  });

  it('an incident condition: a caller an active incident affects (an unknown number, by its prefix) goes ahead of earlier arrivals', async () => {
    const block = `+15557${String(randomInt(0, 1000)).padStart(3, '0')}`;
    let next = 0;
    const affectedPhone = () => `${block}${String(++next).padStart(3, '0')}`;
    await floor.rules('service', {
      rules: [{ name: 'outage', when: { incident: true }, priority: 40 }],
    });
    const incident = await floor.admin.request<{ id: string }>('POST', '/v1/incidents', {
      title: 'Fibre cut',
      announcement: 'We know about the fibre cut.',
      affected: { phonePrefixes: [block] },
    });
    expect(incident.status).toBe(201);
    try {
      // the simulator and the real decision agree: affected (an unknown number) → outage; not affected → no rule
      expect((await simulate('service', { from: affectedPhone() })).body.rule).toBe('outage');
      expect((await simulate('service', { from: uniquePhone() })).body.rule).toBeNull();
      const agent = await floor.agent({ lines: ['service'], status: null });
      const first = await floor.call('service');
      const affected = await floor.call('service', { from: affectedPhone() });
      expect(affected.queuePosition).toBe(1);
      expect(affected.announcement).toMatch(/fibre cut/);
      await agent.setStatus('available');
      await take(agent, affected);
      expect(await agent.complete(affected.contactId, 'resolved')).toEqual(
        expect.objectContaining({ ok: true }),
      );
      await take(agent, first);
    } finally {
      await floor.admin.request('PATCH', `/v1/incidents/${incident.body.id}`, { status: 'resolved' });
    }
    // resolved: the same number is no longer affected
    expect((await simulate('service', { from: affectedPhone() })).body.rule).toBeNull();
  });

  it('a never-match pair follows its customer through a merge (a new rules version names the survivor)', async () => {
    const [phone, survivorPhone] = [uniquePhone(), uniquePhone()];
    const merged = await floor.admin.createCustomer({ name: 'Mara Merged', phones: [phone] });
    const survivor = await floor.admin.createCustomer({ name: 'Mara Survivor', phones: [survivorPhone] });
    const longest = await floor.agent({ lines: ['service'] });
    const other = await floor.agent({ lines: ['service'] });
    await floor.rules('service', { neverMatch: [{ agentId: longest.agentId, customerId: merged.id }] });
    const before = await floor.admin.getRouting('service');

    const merge = await floor.admin.request('POST', `/v1/customers/${survivor.id}/merge`, {
      from: merged.id,
    });
    expect(merge.status).toBe(200);

    const after = await floor.admin.getRouting('service');
    expect(after.version).toBe(before.version + 1);
    expect(after.neverMatch).toEqual([{ agentId: longest.agentId, customerId: survivor.id }]);
    const versions = await floor.admin.request<{ source: string; author: string }[]>(
      'GET',
      '/v1/lines/service/routing/versions?limit=1',
    );
    expect(versions.body[0]).toEqual(expect.objectContaining({ source: 'merge' }));
    // the merged customer's number is the survivor's now: the pair still keeps `longest` away from this person
    const call = await floor.call('service', { from: phone });
    expect(call.customer.id).toBe(survivor.id);
    await take(other, call);
    await longest.expectNoOffer(300);
  });

  it('a preferred stage: the simulator and the real call both go to the customer’s last agent, skills aside', async () => {
    const phone = uniquePhone();
    const last = await floor.agent({ lines: ['sales'] });
    const first = await floor.call('sales', { from: phone });
    await take(last, first);
    expect(await last.complete(first.contactId, 'resolved')).toEqual(expect.objectContaining({ ok: true }));
    // holds the skill stage 2 asks for, which `last` lacks: only the preferred stage gives the call to `last`
    const other = await floor.agent({ lines: ['sales'], skills: { billing: 9 } });
    await floor.rules('sales', {
      sticky: { enabled: false },
      rules: [
        {
          name: 'returning',
          when: { known: false },
          stages: [{ seconds: 20, preferred: true }, { skills: { billing: 9 } }],
        },
      ],
    });
    const simulated = await simulate('sales', { from: phone });
    expect(simulated.body).toEqual(
      expect.objectContaining({ rule: 'returning', agent: { id: last.agentId, reason: 'sticky' } }),
    );
    expect(simulated.body.stages[0].candidates).toEqual(
      expect.arrayContaining([
        { agentId: other.agentId, eligible: false, why: "is not the customer's case owner or last agent" },
      ]),
    );
    const call = await floor.call('sales', { from: phone });
    expect(await take(last, call)).toBe('sticky');
    await other.expectNoOffer(300);
  });
});
