import { expect } from '@jest/globals';
import { io } from 'socket.io-client';
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

/**
 * Cases and owners, through the public surfaces: completions open and join cases, the case owner is offered the
 * customer first (`case_owner`, over the last agent), the owner's deputy when the owner is away for good, the story
 * travels with the offer, notices reach an owner who was not there, handovers (by the owner, an admin, a removal),
 * overdue cases flagged to the owner and to supervisors.
 */
describe('cases', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether({ env: { TETHER_AGENT_DISCONNECT_GRACE_SECONDS: '1' } });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  async function answer(agent: AgentClient, call: CallView): Promise<OfferEvent> {
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(await agent.accept(offer.offerId)).toEqual(expect.objectContaining({ ok: true }));
    return offer;
  }

  /** `agent` takes a call from `phone` and completes it; returns the completion's ack. */
  async function handle(
    agent: AgentClient,
    phone: string,
    resolution: 'resolved' | 'unresolved' | 'follow_up',
    notes: string,
    link: { subject?: string; caseId?: string } = {},
  ): Promise<{ offer: OfferEvent; caseId: string | null }> {
    const call = await floor.call('service', { from: phone });
    const offer = await answer(agent, call);
    const ack = await agent.complete(call.contactId, resolution, notes, link);
    if (!ack.ok) throw new Error(`complete refused: ${ack.error}`);
    return { offer, caseId: ack.caseId };
  }

  it('a follow-up opens a case owned by the agent; the owner beats the last agent, and the offer tells the story', async () => {
    await floor.rules('service', { sticky: { enabled: true, waitSeconds: 0 } });
    const phone = uniquePhone();
    const owner = await floor.agent({ lines: ['service'], name: 'Olga Owner' });
    const opened = await handle(owner, phone, 'follow_up', 'router reboots hourly; engineer promised', {
      subject: 'Router reboots',
    });
    expect(opened.caseId).toEqual(expect.any(String));
    expect(await owner.caseUpdates.take({ matching: (u) => u.reason === 'opened' })).toMatchObject({
      caseId: opened.caseId,
      case: { subject: 'Router reboots', status: 'open', owner: { id: owner.agentId, name: 'Olga Owner' } },
    });

    // the owner busy (no wait on this line): someone else takes the customer, and the case stays the owner's
    const busy = await floor.call('service');
    await answer(owner, busy);
    const other = await floor.agent({ lines: ['service'] });
    const second = await handle(
      other,
      phone,
      'follow_up',
      'still rebooting, told them the engineer comes Monday',
    );
    expect(second.offer.reason).toBe('skills');
    expect(second.offer.case).toMatchObject({ id: opened.caseId, owner: { id: owner.agentId } });
    expect(second.caseId).toBe(opened.caseId);
    expect((await tether.admin().getCase(opened.caseId!)).owner).toEqual({
      id: owner.agentId,
      name: 'Olga Owner',
    });
    // the owner was not the one who took their customer: a notice, at once since they are signed in
    expect(await owner.notices.take()).toMatchObject({
      kind: 'customer_called',
      caseId: opened.caseId,
      text: expect.stringContaining('took it'),
    });
    expect((await owner.complete(busy.contactId, 'resolved')).ok).toBe(true);

    // both free now; `other` is the last agent, `owner` owns the case: the owner gets it, with the whole story
    const third = await floor.call('service', { from: phone });
    const offer = await owner.nextOffer();
    expect(offer.contact.id).toBe(third.contactId);
    expect(offer.reason).toBe('case_owner');
    expect(offer.case).toMatchObject({
      id: opened.caseId,
      subject: 'Router reboots',
      status: 'open',
      owner: { id: owner.agentId },
      contactCount: 3,
      promises: [],
    });
    expect(offer.case!.contacts.map((c) => c.notes)).toEqual([
      null, // this contact, not completed yet
      'still rebooting, told them the engineer comes Monday',
      'router reboots hourly; engineer promised',
    ]);
    await other.expectNoOffer(300);

    // resolved resolves the case; the REST view says so
    expect((await owner.accept(offer.offerId)).ok).toBe(true);
    expect((await owner.complete(third.contactId, 'resolved', 'replaced the router')).ok).toBe(true);
    const story = await tether.admin().getCase(opened.caseId!);
    expect(story).toMatchObject({ status: 'resolved', contactCount: 3 });
    expect(story.resolvedAt).toEqual(expect.any(String));
  });

  it('the owner offline: the deputy gets the customer at once; the owner is told when they sign in', async () => {
    await floor.rules('service', { sticky: { enabled: true, waitSeconds: 30 } });
    const phone = uniquePhone();
    const deputy = await floor.agent({ lines: ['service'], name: 'Dana Deputy', status: 'away' });
    const owner = await floor.agent({ lines: ['service'], deputyId: deputy.agentId });
    const { caseId } = await handle(owner, phone, 'unresolved', 'billing dispute');
    expect(caseId).toEqual(expect.any(String));
    expect((await owner.setStatus('offline')).ok).toBe(true);
    owner.close();
    // a pool agent idle longer than the deputy
    const pool = await floor.agent({ lines: ['service'] });
    expect((await deputy.setStatus('available')).ok).toBe(true);

    const postedAt = Date.now();
    const call = await floor.call('service', { from: phone });
    const offer = await deputy.nextOffer();
    expect(Date.now() - postedAt).toBeLessThan(3_000); // nobody waits for an absent owner
    expect(offer).toMatchObject({ reason: 'deputy', contact: { id: call.contactId }, case: { id: caseId } });
    expect(offer.trace).toContain('is offline');
    await pool.expectNoOffer(200);
    expect((await deputy.accept(offer.offerId)).ok).toBe(true);

    // back at their desk, the owner learns who took their customer
    const back = await floor.reconnect(owner);
    expect(await back.notices.take()).toMatchObject({
      kind: 'customer_called',
      caseId,
      by: { id: deputy.agentId, name: 'Dana Deputy' },
      text: expect.stringContaining('Dana Deputy took it'),
    });
    // delivered once: a later connect does not repeat it
    const again = await floor.reconnect(owner);
    await expect(again.notices.take({ timeoutMs: 500 })).rejects.toThrow();
  });

  it('removing the owner hands their open cases to their deputy, who is told; without a deputy the case is its team’s', async () => {
    // away, so that the calls below go to the owner and the loner
    const deputy = await floor.agent({ lines: ['service'], status: 'away' });
    const owner = await floor.agent({ lines: ['service'], deputyId: deputy.agentId, team: 'billing' });
    const { caseId } = await handle(owner, uniquePhone(), 'follow_up', 'needs a refund');
    const loner = await floor.agent({ lines: ['service'], team: 'billing' });
    expect((await owner.setStatus('away')).ok).toBe(true);
    const { caseId: teamCase } = await handle(loner, uniquePhone(), 'follow_up', 'needs a refund too');

    await tether.admin().deleteAgent(owner.agentId);
    expect(await deputy.caseUpdates.take({ matching: (u) => u.caseId === caseId })).toMatchObject({
      reason: 'handed_over',
      case: { owner: { id: deputy.agentId } },
    });
    expect(await deputy.notices.take()).toMatchObject({ kind: 'case_handed_over', caseId });
    expect((await tether.admin().getCase(caseId!)).owner?.id).toBe(deputy.agentId);
    const listed = await deputy.listCases();
    expect(listed.ok && listed.cases.map((c) => c.id)).toEqual([caseId]);

    await tether.admin().deleteAgent(loner.agentId);
    expect(await tether.admin().getCase(teamCase!)).toMatchObject({
      owner: null,
      team: 'billing',
      status: 'open',
    });
  });

  it('handover by the owner over the socket; nobody else may; the new owner is told', async () => {
    const owner = await floor.agent({ lines: ['service'] });
    const colleague = await floor.agent({ lines: ['service'] });
    const { caseId } = await handle(owner, uniquePhone(), 'follow_up', 'end of shift soon');

    const refused = await colleague.handOver(caseId!, colleague.agentId);
    expect(refused).toEqual({ ok: false, error: expect.stringContaining('not yours') });
    const handed = await owner.handOver(caseId!, colleague.agentId);
    expect(handed).toMatchObject({ ok: true, case: { id: caseId, owner: { id: colleague.agentId } } });
    expect(await colleague.caseUpdates.take({ matching: (u) => u.reason === 'handed_over' })).toMatchObject({
      caseId,
    });
    expect(await colleague.notices.take()).toMatchObject({
      kind: 'case_handed_over',
      by: { id: owner.agentId },
    });
    expect(await owner.caseUpdates.take({ matching: (u) => u.reason === 'handed_away' })).toMatchObject({
      caseId,
    });
    expect(await owner.listCases()).toEqual({ ok: true, cases: [] });
    expect(await owner.handOver(caseId!, '00000000-0000-4000-8000-000000000000')).toEqual({
      ok: false,
      error: expect.stringContaining('ownerId'),
    });
  });

  it('an overdue case is flagged to its owner (list, event, notice) and to supervisors', async () => {
    const owner = await floor.agent({ lines: ['service'] });
    const { caseId } = await handle(owner, uniquePhone(), 'follow_up', 'call back with the quote');
    const supervisor = io(`${tether.urls.gateway}/supervisors`, {
      auth: { token: tether.adminToken },
      transports: ['websocket'],
      reconnection: false,
    });
    try {
      const overdueEvent = new Promise<{ caseId: string; ownerId: string | null }>((resolve) =>
        supervisor.on('case:overdue', (payload: { caseId: string; ownerId: string | null }) => {
          if (payload.caseId === caseId) resolve(payload);
        }),
      );
      await new Promise<void>((resolve, reject) => {
        supervisor.once('agents', () => resolve());
        supervisor.once('connect_error', reject);
      });
      const dueAt = new Date(Date.now() + 1_000).toISOString();
      expect(await tether.admin().patchCase(caseId!, { dueAt })).toMatchObject({ dueAt, overdue: false });
      expect(await overdueEvent).toEqual({ caseId, ownerId: owner.agentId });
      expect(await owner.caseUpdates.take({ matching: (u) => u.reason === 'overdue' })).toMatchObject({
        case: { overdue: true },
      });
      expect(await owner.notices.take({ matching: (n) => n.kind === 'case_overdue' })).toMatchObject({
        caseId,
      });
      const listed = await owner.listCases();
      expect(listed.ok && listed.cases[0]).toMatchObject({ id: caseId, overdue: true });
      const overdue = await tether.admin().listCases({ overdue: 'true', ownerId: owner.agentId });
      expect(overdue.map((c) => c.id)).toEqual([caseId]);
    } finally {
      supervisor.close();
    }
  });

  it('REST: filters and pages, and bad input names its field', async () => {
    const agent = await floor.agent({ lines: ['service'] });
    const phone = uniquePhone();
    const a = await handle(agent, phone, 'follow_up', 'one', { subject: 'first' });
    const b = await handle(agent, phone, 'follow_up', 'two', { subject: 'second' });
    const admin = tether.admin();
    const mine = await admin.listCases({ ownerId: agent.agentId });
    expect(mine.map((c) => c.id)).toEqual([b.caseId, a.caseId]); // newest first
    const page = await admin.request<unknown[]>('GET', `/v1/cases?ownerId=${agent.agentId}&limit=1`);
    expect(page.status).toBe(200);
    expect(page.body).toHaveLength(1);
    expect(page.headers.get('link')).toContain(`cursor=${b.caseId}`);

    for (const [query, field] of [
      ['status=pending', 'status'],
      ['ownerId=nope', 'ownerId'],
      ['overdue=maybe', 'overdue'],
      ['limit=0', 'limit'],
    ]) {
      const bad = await admin.request<{ message: string }>('GET', `/v1/cases?${query}`);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain(field);
    }
    const badPatch = await admin.request('PATCH', `/v1/cases/${a.caseId}`, { status: 'done' });
    expect(badPatch.status).toBe(400);
    expect(JSON.stringify(badPatch.body)).toContain('status');
    const taken = await admin.request('PATCH', `/v1/cases/${a.caseId}`, { subject: 'SECOND' });
    expect(taken.status).toBe(409);
    expect((await admin.request('GET', '/v1/cases/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect(
      await admin.patchCase(a.caseId!, { status: 'waiting_on_customer', team: 'billing' }),
    ).toMatchObject({
      status: 'waiting_on_customer',
      team: 'billing',
    });
    const deputyRefused = await admin.request('PATCH', `/v1/agents/${agent.agentId}`, {
      deputyId: agent.agentId,
    });
    expect(deputyRefused.status).toBe(400);
    expect(JSON.stringify(deputyRefused.body)).toContain('deputyId');
  });

  it('a contact completed with a caseId of another customer is refused and stays open', async () => {
    const agent = await floor.agent({ lines: ['service'] });
    const { caseId } = await handle(agent, uniquePhone(), 'follow_up', 'theirs');
    const call = await floor.call('service');
    await answer(agent, call);
    expect(await agent.complete(call.contactId, 'follow_up', 'mine', { caseId: caseId! })).toEqual({
      ok: false,
      error: expect.stringContaining('not found'),
    });
    expect((await agent.complete(call.contactId, 'resolved', 'mine')).ok).toBe(true);
    await waitFor(async () => (await tether.admin().getCase(caseId!)).contactCount === 1, {
      what: 'the case to keep its one contact',
    });
  });
});
