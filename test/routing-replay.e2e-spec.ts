import { expect } from '@jest/globals';
import {
  type AdminClient,
  type AgentClient,
  type CallView,
  type Tether,
  TestFloor,
  startTether,
  uniquePhone,
} from '@tether/testing';

interface Figures {
  answered: number;
  abandoned: number;
  unanswered: number;
  waitSeconds: { mean: number; p50: number; p90: number; max: number } | null;
  serviceLevel: number | null;
  stickyHits: number;
  caseOwnerHits: number;
}

interface Outcome {
  kind: string;
  rule: string | null;
  stage: number | null;
  agentId: string | null;
  reason: string | null;
  waitSeconds: number | null;
}

interface Report {
  line: string;
  contacts: number;
  changed: number;
  changedBy: Record<string, number>;
  byRuleAndStage: {
    baseline: { rule: string | null; stage: number | null };
    draft: { rule: string | null; stage: number | null };
    contacts: number;
    changed: number;
  }[];
  baseline: Figures;
  draft: Figures;
  recorded: Figures;
  calibration: { meanWaitSeconds: number | null; serviceLevel: number | null; sameAgent: number | null };
  sample: { contactId: string; baseline: Outcome; draft: Outcome }[];
  baselineVersion: number;
  draftVersion: number | null;
  agents: number;
  assumptions: string[];
}

/**
 * Replay (issue #15): real calls go through the running system and are recorded; a draft that changes a rule is
 * replayed on them beside the live rules, and the report counts the contacts it sends elsewhere by rule and stage.
 */
describe('routing replay', () => {
  let tether: Tether;
  let floor: TestFloor;
  let admin: AdminClient;
  let periodStart: string;

  beforeAll(async () => {
    tether = await startTether({ startTimeoutMs: 120_000 });
    floor = new TestFloor(tether);
    admin = tether.admin();
  }, 150_000);
  afterAll(async () => {
    await floor?.clear();
    await tether?.stop();
  });

  const replay = (line: string, body: unknown, token?: string) =>
    admin.request<Report>(
      'POST',
      `/v1/lines/${line}/routing/replay`,
      body,
      token === undefined ? {} : { token },
    );

  async function answer(agent: AgentClient, call: CallView): Promise<void> {
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(await agent.accept(offer.offerId)).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 300)); // a short conversation
    expect(await agent.complete(call.contactId, 'resolved')).toMatchObject({ ok: true });
  }

  it('a draft VIP rule, replayed on recorded calls, answers the VIP first: counted by rule, with the waits', async () => {
    periodStart = new Date(Date.now() - 1_000).toISOString();
    const vipPhone = uniquePhone();
    await admin.createCustomer({
      name: 'Vera Important',
      phones: [vipPhone],
      attributes: { segment: 'vip' },
    });
    const agent = await floor.agent({ lines: ['sales'], status: null });
    // three callers wait for the one agent; the VIP called last. Live rules: first come, first served
    const first = await floor.call('sales');
    const second = await floor.call('sales');
    const vip = await floor.call('sales', { from: vipPhone });
    await agent.setStatus('available');
    await answer(agent, first);
    await answer(agent, second);
    await answer(agent, vip);
    await agent.setStatus('offline');

    const draft = await admin.request('PUT', '/v1/lines/sales/routing/draft', {
      ...(await floor.rules('sales', {})), // the live rules, saved to be restored
      rules: [{ name: 'vip', when: { attributes: { segment: ['vip'] } }, priority: 10 }],
    });
    expect(draft.status).toBe(200);

    const to = new Date(Date.now() + 1_000).toISOString();
    const response = await replay('sales', { from: periodStart, to, draft: true });
    expect(response.status).toBe(200);
    const report = response.body;
    expect(report).toMatchObject({ line: 'sales', contacts: 3, draftVersion: null, agents: 1 });
    // the VIP goes to another rule (and first); the other two keep their rule and agent, only later
    expect(report.changed).toBe(1);
    expect(report.changedBy.otherRule).toBe(1);
    expect(report.byRuleAndStage).toEqual(
      expect.arrayContaining([
        {
          baseline: { rule: null, stage: null },
          draft: { rule: 'vip', stage: null },
          contacts: 1,
          changed: 1,
        },
        {
          baseline: { rule: null, stage: null },
          draft: { rule: null, stage: null },
          contacts: 2,
          changed: 0,
        },
      ]),
    );
    expect(report.sample).toHaveLength(1);
    const [changed] = report.sample;
    expect(changed.contactId).toBe(vip.contactId);
    expect(changed.baseline).toMatchObject({ kind: 'answered', rule: null, agentId: agent.agentId });
    expect(changed.draft).toMatchObject({ kind: 'answered', rule: 'vip', agentId: agent.agentId });
    // the VIP waited for the two before it in the baseline (as in reality), for nobody in the draft
    expect(changed.draft.waitSeconds!).toBeLessThan(changed.baseline.waitSeconds!);
    expect(report.baseline.answered).toBe(3);
    expect(report.draft.answered).toBe(3);
    expect(report.recorded.answered).toBe(3);
    // calibration: the baseline simulation is close to what was recorded (offers accepted at once in simulation)
    expect(Math.abs(report.baseline.waitSeconds!.max - report.recorded.waitSeconds!.max)).toBeLessThan(2);
    expect(report.calibration.sameAgent).toBe(1);
    expect(Math.abs(report.calibration.meanWaitSeconds!)).toBeLessThan(2);
    expect(report.draft.waitSeconds!.max).toBeGreaterThanOrEqual(report.baseline.waitSeconds!.max - 0.5);
    expect(report.assumptions.length).toBeGreaterThan(0);
    // no personal data in the answer
    expect(JSON.stringify(report)).not.toContain(vipPhone);

    // the live version replayed against itself: nothing changes (the positive control of the counts above)
    const same = await replay('sales', { from: periodStart, to, version: report.baselineVersion });
    expect(same.status).toBe(200);
    expect(same.body.changed).toBe(0);
    expect(same.body.draft).toEqual(same.body.baseline);
  });

  it.each([
    ['no from', 'from', { to: '2026-01-02T00:00:00Z', draft: true }],
    ['a from that is no time', 'from', { from: 'yesterday', to: '2026-01-02T00:00:00Z', draft: true }],
    ['to before from', 'to', { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z', draft: true }],
    [
      'a period over 31 days',
      'to',
      { from: '2026-01-01T00:00:00Z', to: '2026-02-05T00:00:00Z', draft: true },
    ],
    ['neither draft nor version', 'draft', { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }],
    [
      'both draft and version',
      'draft',
      { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', draft: true, version: 1 },
    ],
    [
      'an unknown field',
      'x',
      { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', draft: true, x: 1 },
    ],
    [
      'a service level of 0',
      'serviceLevelSeconds',
      { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', draft: true, serviceLevelSeconds: 0 },
    ],
  ])('%s: 400 naming %s', async (_label, field, body) => {
    const response = await replay('sales', body);
    expect(response.status).toBe(400);
    // the message names the field: `to must be …`, `property x should not exist`, `draft: give exactly one …`
    expect(response.text).toMatch(new RegExp(`\\b${field}( must| should|:)`));
  });

  it('no draft saved: 404; a version that never was: 404', async () => {
    const period = { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };
    const noDraft = await replay('service', { ...period, draft: true });
    expect(noDraft.status).toBe(404);
    expect(noDraft.text).toMatch(/draft/);
    expect((await replay('service', { ...period, version: 999_999 })).status).toBe(404);
    // the positive control: a version that exists replays
    await floor.rules('service', {});
    const { version } = await admin.getRouting('service');
    expect((await replay('service', { ...period, version })).status).toBe(200);
  });

  it("a supervisor replays their own lines' rules only", async () => {
    const supervisorOf = async (lines: string[]) => {
      const user = await admin.request<{ id: string }>('POST', '/v1/users', {
        name: `Replay supervisor ${lines.join(' ')}`,
        role: 'supervisor',
        lines,
      });
      expect(user.status).toBe(201);
      const token = await admin.request<{ token: string }>('POST', `/v1/users/${user.body.id}/tokens`);
      expect(token.status).toBe(201);
      return token.body.token;
    };
    await floor.rules('service', {});
    const { version } = await admin.getRouting('service');
    const period = { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', version };
    const service = await supervisorOf(['service']);
    expect((await replay('sales', period, service)).status).toBe(403);
    expect((await replay('service', period, service)).status).toBe(200);
  });
});
