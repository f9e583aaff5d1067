import { expect } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type {
  LiveViewPayload,
  SupervisorActionPayload,
  SupervisorClientEvents,
  SupervisorClientToServerEvents,
  SupervisorServerToClientEvents,
} from '@tether/realtime';
import {
  EventBuffer,
  type Tether,
  TestFloor,
  openDatabasePool,
  type DatabasePool,
  startTether,
  uniquePhone,
} from '@tether/testing';

type Ack<E extends keyof SupervisorClientEvents> = SupervisorClientEvents[E]['ack'];

/** A supervisor's socket on /supervisors, typed by the event map, with its `live:view`s and `supervisor:action`s. */
class Supervisor {
  readonly views = new EventBuffer<LiveViewPayload>('live:view');
  readonly actions = new EventBuffer<SupervisorActionPayload>('supervisor:action');
  readonly socket: Socket<SupervisorServerToClientEvents, SupervisorClientToServerEvents>;

  constructor(url: string, token: string) {
    this.socket = io(`${url}/supervisors`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
    });
    this.socket.on('live:view', (view) => this.views.push(view));
    this.socket.on('supervisor:action', (action) => this.actions.push(action));
  }

  /** The next view in which `matching` holds (earlier views are dropped). */
  view(
    matching: (view: LiveViewPayload) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<LiveViewPayload> {
    return this.views.take({ matching, timeoutMs });
  }

  emit<E extends keyof SupervisorClientEvents>(event: E, payload: unknown): Promise<Ack<E>> {
    return new Promise((resolve) =>
      (this.socket.emit as (e: string, p: unknown, ack: (a: Ack<E>) => void) => void)(
        event,
        payload,
        resolve,
      ),
    );
  }

  close(): void {
    this.socket.close();
  }
}

const line = (view: LiveViewPayload, name: string) => view.lines.find((l) => l.line === name)!;

/**
 * The supervisors' live view and actions on /supervisors, through the public surfaces: the view on connect and on
 * change, force-assign (to the chosen agent only, accepted, audited, announced to another supervisor), its refusals
 * with a positive control, the size bound with 1,000 waiting, an agent's status and a case's owner set by a
 * supervisor.
 */
describe('supervisors: live view and actions', () => {
  let tether: Tether;
  let floor: TestFloor;
  let db: DatabasePool;
  let actor: string;
  const supervisors: Supervisor[] = [];
  const supervisor = async (): Promise<Supervisor> => {
    const s = new Supervisor(tether.urls.gateway, tether.adminToken);
    supervisors.push(s);
    await s.view();
    return s;
  };

  beforeAll(async () => {
    tether = await startTether({ startTimeoutMs: 120_000 });
    floor = new TestFloor(tether);
    db = openDatabasePool(tether.databaseUrl);
    actor = `admin:${createHash('sha256').update(tether.adminToken).digest('hex').slice(0, 12)}`;
    // a loaded machine starts the five apps slowly: the harness's own start timeout is the one that counts
  }, 150_000);
  afterEach(async () => {
    supervisors.splice(0).forEach((s) => s.close());
    await floor?.clear();
  });
  afterAll(async () => {
    await db?.close();
    await tether?.stop();
  });

  it('sends the live view on connect and again when the floor changes, with why a contact waits', async () => {
    const watcher = await supervisor();
    const first = watcher.views.history.at(-1) ?? (await watcher.view());
    expect(first.lines.map((l) => l.line)).toEqual(expect.arrayContaining(['sales', 'presales', 'service']));
    expect(line(first, 'sales').waiting).toMatchObject({ page: 0, pageSize: 25 });

    const agent = await floor.agent({ lines: ['sales'], skills: { french: 3 }, status: 'away' });
    await floor.rules('sales', { intents: { french: { skills: { french: 5 } } } });
    const call = await floor.call('sales', { ivr: { intent: 'french' } });
    const seen = await watcher.view((v) =>
      line(v, 'sales').waiting.contacts.some((c) => c.contactId === call.contactId),
    );
    const waiting = line(seen, 'sales').waiting.contacts.find((c) => c.contactId === call.contactId)!;
    expect(waiting).toMatchObject({
      channel: 'voice',
      stage: null,
      heldFor: 'no agent with the skills',
      customer: { known: false },
    });
    expect(waiting.waitingSeconds).toBeGreaterThanOrEqual(0);
    expect(line(seen, 'sales').waiting.total).toBeGreaterThanOrEqual(1);
    expect(seen.agents.find((a) => a.agentId === agent.agentId)).toMatchObject({
      status: 'away',
      lines: ['sales'],
      contactId: null,
    });
    expect(line(seen, 'sales').today).toEqual(
      expect.objectContaining({ offered: expect.any(Number), abandoned: expect.any(Number) }),
    );

    // a change: the agent becomes available (and qualifies once the rule asks less): the view follows
    await agent.setStatus('available');
    const after = await watcher.view((v) =>
      v.agents.some((a) => a.agentId === agent.agentId && a.status === 'available'),
    );
    expect(after.agents.find((a) => a.agentId === agent.agentId)!.inStateSeconds).toBeLessThan(5);
  });

  it('force-assign offers the contact to the chosen agent only; accepted, audited with the actor, announced to another supervisor', async () => {
    const boss = await supervisor();
    const other = await supervisor();
    // both signed in but away: the call waits until a supervisor decides
    const first = await floor.agent({ lines: ['service'], status: 'away' });
    const chosen = await floor.agent({ lines: ['service'], status: 'away' });
    const call = await floor.call('service');
    await boss.view((v) => line(v, 'service').waiting.contacts.some((c) => c.contactId === call.contactId));

    const ack = await boss.emit('contact:assign', { contactId: call.contactId, agentId: chosen.agentId });
    expect(ack).toEqual({ ok: true, offerId: expect.any(String) });
    const offer = await chosen.nextOffer();
    expect(offer).toMatchObject({
      offerId: ack.ok && ack.offerId,
      reason: 'supervisor',
      contact: { id: call.contactId },
    });
    await first.expectNoOffer(500);

    expect(await other.actions.take({ matching: (a) => a.contactId === call.contactId })).toEqual({
      action: 'contact:assign',
      actor,
      at: expect.any(String),
      line: 'service',
      contactId: call.contactId,
      agentId: chosen.agentId,
    });
    expect(await chosen.accept(offer.offerId)).toMatchObject({ ok: true, contactId: call.contactId });
    const connected = await boss.view((v) =>
      v.agents.some((a) => a.agentId === chosen.agentId && a.contactId === call.contactId),
    );
    expect(line(connected, 'service').waiting.contacts.map((c) => c.contactId)).not.toContain(call.contactId);

    expect(
      await db.query(`SELECT actor, action, target, status FROM audit_log WHERE target = $1 ORDER BY id`, [
        call.contactId,
      ]),
    ).toEqual([{ actor, action: 'socket contact:assign', target: call.contactId, status: 200 }]);
  });

  it("force-assign revokes another agent's pending offer first", async () => {
    const boss = await supervisor();
    const holder = await floor.agent({ lines: ['presales'] });
    const chosen = await floor.agent({ lines: ['presales'], status: 'away' });
    const call = await floor.call('presales');
    const held = await holder.nextOffer();
    expect(held.contact.id).toBe(call.contactId);

    const ack = await boss.emit('contact:assign', { contactId: call.contactId, agentId: chosen.agentId });
    expect(ack.ok).toBe(true);
    expect(await holder.nextRevoked()).toMatchObject({
      offerId: held.offerId,
      reason: 'supervisor_assigned',
    });
    expect((await chosen.nextOffer()).contact.id).toBe(call.contactId);
  });

  it('refuses an unknown contact, a connected contact, an offline agent and a bad payload, naming the field; audited', async () => {
    const boss = await supervisor();
    const agent = await floor.agent({ lines: ['sales'], status: 'away' });
    const offline = await floor.agent({ lines: ['sales'], status: 'offline' });
    const taker = await floor.agent({ lines: ['sales'], status: 'away' });
    const waiting = await floor.call('sales');

    const unknown = randomUUID();
    expect(await boss.emit('contact:assign', { contactId: unknown, agentId: agent.agentId })).toEqual({
      ok: false,
      error: expect.stringContaining('contactId'),
    });
    expect(
      await boss.emit('contact:assign', { contactId: waiting.contactId, agentId: offline.agentId }),
    ).toEqual({
      ok: false,
      error: 'agentId: the agent is not signed in',
    });
    expect(await boss.emit('contact:assign', { contactId: 'nope', agentId: agent.agentId })).toEqual({
      ok: false,
      error: expect.stringContaining('contactId'),
    });
    expect(await boss.emit('contact:assign', { contactId: waiting.contactId })).toEqual({
      ok: false,
      error: expect.stringContaining('agentId'),
    });
    expect(
      await boss.emit('contact:assign', { contactId: waiting.contactId, agentId: agent.agentId, extra: 1 }),
    ).toEqual({ ok: false, error: expect.stringContaining('extra') });

    // positive control: the same contact to a signed-in agent with room
    const assigned = await boss.emit('contact:assign', {
      contactId: waiting.contactId,
      agentId: taker.agentId,
    });
    expect(assigned.ok).toBe(true);
    const offer = await taker.nextOffer();
    expect(await taker.accept(offer.offerId)).toMatchObject({ ok: true });
    // now connected: no longer waiting
    expect(
      await boss.emit('contact:assign', { contactId: waiting.contactId, agentId: agent.agentId }),
    ).toEqual({
      ok: false,
      error: 'contactId: the contact is connected, no longer waiting',
    });
    await agent.expectNoOffer(300);

    expect(
      await db.query(`SELECT action, target, status FROM audit_log WHERE target = ANY($1) ORDER BY id`, [
        [unknown, waiting.contactId],
      ]),
    ).toEqual([
      { action: 'socket contact:assign', target: unknown, status: 404 },
      { action: 'socket contact:assign', target: waiting.contactId, status: 409 },
      { action: 'socket contact:assign', target: waiting.contactId, status: 200 },
      { action: 'socket contact:assign', target: waiting.contactId, status: 409 },
    ]);
  });

  it('stays within its size bound with 1,000 waiting: total 1000, one page of at most 25, paged by live:page', async () => {
    await db.query(
      `WITH c AS (INSERT INTO customers (name, known) SELECT NULL, false FROM generate_series(1, 1000) RETURNING id)
       INSERT INTO contacts (external_id, channel, line, customer_id, from_address, priority, required_skills, status,
                             enqueued_at, created_at)
       SELECT 'bulk-' || c.id, 'voice', 'presales', c.id, '+15550000000', 0, '{}', 'queued',
              now() - (row_number() OVER ()) * interval '1 second', now()
         FROM c`,
    );
    try {
      const watcher = await supervisor();
      const view = await watcher.view((v) => line(v, 'presales').waiting.total === 1000, 10_000);
      const presales = line(view, 'presales').waiting;
      expect(presales.contacts).toHaveLength(25);
      expect(presales.contacts[0].waitingSeconds).toBeGreaterThanOrEqual(
        presales.contacts[24].waitingSeconds,
      );
      // the whole view stays small however many wait
      expect(JSON.stringify(view).length).toBeLessThan(64 * 1024);

      expect(await watcher.emit('live:page', { line: 'presales', page: 39 })).toEqual({ ok: true });
      const last = await watcher.view((v) => line(v, 'presales').waiting.page === 39);
      expect(line(last, 'presales').waiting).toMatchObject({ total: 1000, page: 39 });
      expect(line(last, 'presales').waiting.contacts).toHaveLength(25);
      expect(line(last, 'presales').waiting.contacts.map((c) => c.contactId)).not.toContain(
        presales.contacts[0].contactId,
      );
      expect(await watcher.emit('live:page', { line: 'presales', page: -1 })).toEqual({
        ok: false,
        error: expect.stringContaining('page'),
      });
      expect(await watcher.emit('live:page', { line: 'nowhere', page: 0 })).toEqual({
        ok: false,
        error: expect.stringContaining('line'),
      });
    } finally {
      await db.query(`UPDATE contacts SET status = 'ended', ended_at = now(), end_reason = 'abandoned'
                       WHERE external_id LIKE 'bulk-%' AND status = 'queued'`);
    }
  });

  it("agent:status sets another agent's presence through their own path: their socket is told; audited and announced", async () => {
    const boss = await supervisor();
    const other = await supervisor();
    const agent = await floor.agent({ lines: ['sales'] });
    expect(await boss.emit('agent:status', { agentId: agent.agentId, status: 'away' })).toEqual({
      ok: true,
      state: 'away',
    });
    expect(await agent.nextPresence((p) => p.state === 'away')).toEqual({
      state: 'away',
      reason: 'supervisor',
    });
    expect(await other.actions.take({ matching: (a) => a.agentId === agent.agentId })).toMatchObject({
      action: 'agent:status',
      actor,
      agentId: agent.agentId,
      status: 'away',
    });
    await boss.view((v) => v.agents.some((a) => a.agentId === agent.agentId && a.status === 'away'));
    expect(await boss.emit('agent:status', { agentId: agent.agentId, status: 'busy' })).toEqual({
      ok: false,
      error: expect.stringContaining('status'),
    });
    expect(await boss.emit('agent:status', { agentId: randomUUID(), status: 'away' })).toEqual({
      ok: false,
      error: expect.stringContaining('agentId'),
    });
    expect(
      await db.query(
        `SELECT actor, action, status FROM audit_log WHERE target = $1 AND action LIKE 'socket %'`,
        [agent.agentId],
      ),
    ).toEqual([{ actor, action: 'socket agent:status', status: 200 }]);
  });

  it('case:reassign hands a case to another agent (the new owner is told); audited and announced', async () => {
    const boss = await supervisor();
    const owner = await floor.agent({ lines: ['service'] });
    const next = await floor.agent({ lines: ['service'], status: 'away' });
    const call = await floor.call('service', { from: uniquePhone() });
    const offer = await owner.nextOffer();
    expect(await owner.accept(offer.offerId)).toMatchObject({ ok: true });
    const done = await owner.complete(call.contactId, 'follow_up', 'call back', { subject: 'Quote' });
    if (!done.ok || !done.caseId) throw new Error('no case opened');
    const caseId = done.caseId;

    expect(await boss.emit('case:reassign', { caseId, ownerId: next.agentId })).toEqual({ ok: true });
    expect(await next.caseUpdates.take({ matching: (u) => u.caseId === caseId })).toMatchObject({
      reason: 'handed_over',
    });
    expect((await tether.admin().getCase(caseId)).owner).toMatchObject({ id: next.agentId });
    expect(await boss.actions.take({ matching: (a) => a.caseId === caseId })).toMatchObject({
      action: 'case:reassign',
      line: 'service',
      ownerId: next.agentId,
    });
    expect(await boss.emit('case:reassign', { caseId: randomUUID(), ownerId: next.agentId })).toEqual({
      ok: false,
      error: expect.stringContaining('caseId'),
    });
    expect(await boss.emit('case:reassign', { caseId, ownerId: 'x' })).toEqual({
      ok: false,
      error: expect.stringContaining('ownerId'),
    });
    // a payload refused by its validation never reaches the action: only the reassignment is in the log
    expect(await db.query(`SELECT action, status FROM audit_log WHERE target = $1`, [caseId])).toEqual([
      { action: 'socket case:reassign', status: 200 },
    ]);
  });

  it('a supervisor of sales sees and acts on sales only: view, roster, queue, figures, presence and actions; an admin sees both', async () => {
    const admin = tether.admin();
    const user = await admin.request<{ id: string }>('POST', '/v1/users', {
      name: `Sales lead ${randomUUID().slice(0, 8)}`,
      role: 'supervisor',
      lines: ['sales'],
    });
    expect(user.status).toBe(201);
    const issued = await admin.request<{ token: string }>('POST', `/v1/users/${user.body.id}/tokens`);
    expect(issued.status).toBe(201);

    const salesAgent = await floor.agent({ lines: ['sales'], status: 'away' });
    const serviceAgent = await floor.agent({ lines: ['service'], status: 'away' });
    const salesCall = await floor.call('sales');
    const serviceCall = await floor.call('service');

    // the roster on connect, then the view: sales only (the control: the admin's view has both)
    const roster = new Promise<{ id: string; lines: string[] }[]>((resolve) => {
      const socket = io(`${tether.urls.gateway}/supervisors`, {
        auth: { token: issued.body.token },
        transports: ['websocket'],
        reconnection: false,
      });
      socket.once('agents', (agents: { id: string; lines: string[] }[]) => {
        socket.close();
        resolve(agents);
      });
    });
    const listed = await roster;
    expect(listed.map((a) => a.id)).toContain(salesAgent.agentId);
    expect(listed.map((a) => a.id)).not.toContain(serviceAgent.agentId);

    const lead = new Supervisor(tether.urls.gateway, issued.body.token);
    supervisors.push(lead);
    const seen = await lead.view((v) =>
      v.lines.some((l) => l.waiting.contacts.some((c) => c.contactId === salesCall.contactId)),
    );
    expect(seen.lines.map((l) => l.line)).toEqual(['sales']);
    expect(seen.agents.map((a) => a.agentId)).toContain(salesAgent.agentId);
    expect(seen.agents.map((a) => a.agentId)).not.toContain(serviceAgent.agentId);
    const boss = await supervisor();
    const both = await boss.view((v) =>
      line(v, 'service')?.waiting.contacts.some((c) => c.contactId === serviceCall.contactId),
    );
    expect(both.lines.map((l) => l.line)).toEqual(expect.arrayContaining(['sales', 'service']));

    // acting on service is refused; on sales it works
    const refused = await lead.emit('contact:assign', {
      contactId: serviceCall.contactId,
      agentId: serviceAgent.agentId,
    });
    expect(refused.ok).toBe(false);
    expect(
      await lead.emit('agent:status', { agentId: serviceAgent.agentId, status: 'available' }),
    ).toMatchObject({
      ok: false,
    });
    expect(
      await lead.emit('contact:assign', { contactId: salesCall.contactId, agentId: salesAgent.agentId }),
    ).toEqual({ ok: true, offerId: expect.any(String) });
    expect((await salesAgent.nextOffer()).contact.id).toBe(salesCall.contactId);
    await serviceAgent.expectNoOffer(300);
    // audited with the user, not the bootstrap token
    expect(
      await db.query(
        `SELECT actor, status FROM audit_log WHERE target = $1 AND action = 'socket contact:assign'`,
        [salesCall.contactId],
      ),
    ).toEqual([{ actor: `user:${user.body.id}`, status: 200 }]);
  });
});
