import { randomBytes } from 'node:crypto';
import { expect, jest } from '@jest/globals';
import { CallbackReceiver, type Tether, TestFloor, startTether, uniquePhone, waitFor } from '@tether/testing';

// a shared 2-core machine can be slow: room for the waits below
jest.setTimeout(90_000);

const conversation = () => `conv-${randomBytes(6).toString('hex')}`;
const messageId = () => `msg-${randomBytes(6).toString('hex')}`;
const handle = () => `telegram:u${randomBytes(4).toString('hex')}`;

interface CustomerView {
  id: string;
  phones: string[];
  emails: string[];
  handles: string[];
  contacts: { id: string; channel: string; agentId: string | null }[];
}

/**
 * What the messaging channels add across channels, through the public surfaces: a line's cross-channel capacity rule
 * (a call blocks new chats when the rule says so, and not when it does not), per-channel offer timeouts (an e-mail's
 * from the line's `channels.email`), and one customer across channels on the admin side (identities attached and
 * detached, two customers merged: history moved, the next contact routed by it).
 */
describe('omnichannel: cross-channel capacity, per-channel settings, customer merge', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether({ env: { TETHER_CONVERSATION_IDLE_SECONDS: '600' }, startTimeoutMs: 120_000 });
    floor = new TestFloor(tether);
  }, 180_000);
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  const post = (channel: string, conversationId: string, from: Record<string, string>, text = 'hello') =>
    floor.line('service').postMessage({ channel, conversationId, messageId: messageId(), from, text });

  it.each([
    ['blocks chats during a call', true],
    ['without the rule, a chat is offered during a call (positive control)', false],
  ])('a voice call and the line’s cross-channel rule: %s', async (_title, rule) => {
    if (rule) await floor.rules('service', { crossChannel: { blocks: { voice: ['chat'] } } });
    const agent = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 3 } });
    const call = await floor.call('service');
    const callOffer = await agent.nextOffer(15_000);
    expect(callOffer.contact.id).toBe(call.contactId);
    expect((await agent.accept(callOffer.offerId)).ok).toBe(true);

    const written = await post('chat', conversation(), { handle: handle() });
    expect(written.status).toBe(201);
    if (rule) {
      await agent.expectNoOffer(1_500);
      // the agent's queue shows the waiting chat beside the calls
      const queue = await agent.nextQueue((q) =>
        q.waiting.some((w) => w.contactId === written.body.contactId),
      );
      expect(queue.waiting.find((w) => w.contactId === written.body.contactId)).toMatchObject({
        channel: 'chat',
      });
      // the call ends: the chat is offered
      expect((await agent.complete(call.contactId, 'resolved')).ok).toBe(true);
    }
    const chatOffer = await agent.nextOffer(15_000);
    expect(chatOffer.contact).toMatchObject({ id: written.body.contactId, channel: 'chat' });
    expect((await agent.accept(chatOffer.offerId)).ok).toBe(true);
    if (!rule) expect((await agent.complete(call.contactId, 'resolved')).ok).toBe(true);
    expect((await agent.complete(written.body.contactId, 'resolved')).ok).toBe(true);
  });

  it("an e-mail's offer times out after the line's e-mail setting, a chat's after the line's", async () => {
    await floor.rules('service', {
      offerTimeoutSeconds: 30,
      channels: { email: { offerTimeoutSeconds: 2 } },
    });
    const agent = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 1, email: 1 } });
    const mail = await post('email', conversation(), {
      email: `m${randomBytes(3).toString('hex')}@example.com`,
    });
    const chat = await post('chat', conversation(), { handle: handle() });
    const offers = [await agent.nextOffer(15_000), await agent.nextOffer(15_000)];
    const mailOffer = offers.find((o) => o.contact.id === mail.body.contactId)!;
    const chatOffer = offers.find((o) => o.contact.id === chat.body.contactId)!;
    expect(mailOffer.contact.channel).toBe('email');
    const left = (expiresAt: string) => Date.parse(expiresAt) - Date.now();
    expect(left(mailOffer.expiresAt)).toBeLessThan(2_500);
    expect(left(chatOffer.expiresAt)).toBeGreaterThan(20_000);
    expect((await agent.accept(chatOffer.offerId)).ok).toBe(true);
    const revoked = await agent.nextRevoked(6_000);
    expect(revoked).toMatchObject({ offerId: mailOffer.offerId, reason: 'expired' });
    // nothing left waiting for the next test
    const taker = await floor.agent({ lines: ['service'], capacity: { email: 1 } });
    const again = await taker.nextOffer(15_000);
    expect(again.contact.id).toBe(mail.body.contactId);
    expect((await taker.accept(again.offerId)).ok).toBe(true);
    expect((await taker.complete(mail.body.contactId, 'resolved')).ok).toBe(true);
    expect((await agent.complete(chat.body.contactId, 'resolved')).ok).toBe(true);
  });

  it('refuses invalid per-channel settings and cross-channel rules, naming the field', async () => {
    const current = await floor.admin.getRouting('service');
    const { line: _l, version: _v, updatedAt: _u, ...rules } = current;
    const bad = await floor.admin.request('PUT', '/v1/lines/service/routing', {
      ...rules,
      channels: { email: { offerTimeoutSeconds: 0 } },
      crossChannel: { blocks: { voice: ['fax'] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('channels.email.offerTimeoutSeconds');
    expect(bad.text).toContain('crossChannel.blocks.voice');
  });

  it('a merge moves the history (cases, contacts, identities) and the next call goes to the case owner', async () => {
    const admin = floor.admin;
    const email = `merge-${randomBytes(3).toString('hex')}@example.com`;
    const phone = uniquePhone();
    // Y writes by e-mail; the owner's chat ends in a follow-up case they own
    const owner = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 1 } });
    const written = await post('chat', conversation(), { email });
    const chatOffer = await owner.nextOffer(15_000);
    expect((await owner.accept(chatOffer.offerId)).ok).toBe(true);
    const other = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 1 } });
    const followUp = await owner.complete(written.body.contactId, 'follow_up');
    expect(followUp).toMatchObject({ ok: true });
    const y = written.body.customer.id;

    // X calls from a phone: longest idle is the other agent, who takes it (X has no case)
    const call = await floor.call('service', { from: phone });
    const callOffer = await other.nextOffer(15_000);
    expect(callOffer).toMatchObject({ reason: 'skills', contact: { id: call.contactId } });
    expect((await other.accept(callOffer.offerId)).ok).toBe(true);
    expect((await other.complete(call.contactId, 'resolved')).ok).toBe(true);
    const x = callOffer.customer.id;
    expect(x).not.toBe(y);

    // refusals first: the same id, an unknown one, a body without `from`
    expect((await admin.request('POST', `/v1/customers/${x}/merge`, { from: x })).status).toBe(400);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await admin.request('POST', `/v1/customers/${x}/merge`, { from: unknown })).status).toBe(404);
    const noFrom = await admin.request('POST', `/v1/customers/${x}/merge`, {});
    expect(noFrom.status).toBe(400);
    expect(noFrom.text).toContain('from');

    const merged = await admin.request<CustomerView>('POST', `/v1/customers/${x}/merge`, { from: y });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ id: x, phones: [phone], emails: [email] });
    expect(merged.body.contacts.map((c) => c.id).sort()).toEqual(
      [written.body.contactId, call.contactId].sort(),
    );
    // the merged-away id still resolves, to the survivor; merging it again is a 404
    expect((await admin.request<CustomerView>('GET', `/v1/customers/${y}`)).body.id).toBe(x);
    expect((await admin.request('POST', `/v1/customers/${x}/merge`, { from: y })).status).toBe(404);
    // the case moved with the history
    const cases = await admin.request<{ id: string; customerId: string }[]>(
      'GET',
      `/v1/cases?customerId=${x}`,
    );
    if (cases.status === 200 && Array.isArray(cases.body))
      expect(cases.body.some((k) => k.customerId === x)).toBe(true);

    // X calls again: their (merged) open case's owner is offered the call, ahead of X's last agent
    const next = await floor.call('service', { from: phone });
    const ownerOffer = await owner.nextOffer(15_000);
    expect(ownerOffer).toMatchObject({ reason: 'case_owner', contact: { id: next.contactId } });
    expect((await owner.accept(ownerOffer.offerId)).ok).toBe(true);
    expect((await owner.complete(next.contactId, 'resolved')).ok).toBe(true);
    // and a chat by the e-mail is X's now
    const chatAgain = await post('chat', conversation(), { email });
    expect(chatAgain.body.customer.id).toBe(x);
    const taken = await owner.nextOffer(15_000);
    expect((await owner.accept(taken.offerId)).ok).toBe(true);
    expect((await owner.complete(chatAgain.body.contactId, 'resolved')).ok).toBe(true);
  });

  it('identities: created with e-mails and handles, attached, detached; 409 for another customer’s', async () => {
    const admin = floor.admin;
    const tg = handle();
    const created = await admin.request<{ id: string }>('POST', '/v1/customers', {
      name: 'Omni Customer',
      emails: [`omni-${randomBytes(3).toString('hex')}@example.com`],
      handles: [tg],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // a message by the handle is theirs, known
    const written = await post('messenger', conversation(), { handle: tg });
    expect(written.body.customer).toEqual({ id, known: true });
    const phone = uniquePhone();
    const attached = await admin.request<CustomerView>('POST', `/v1/customers/${id}/identities`, {
      kind: 'phone',
      value: phone,
    });
    expect(attached.status).toBe(200);
    expect(attached.body.phones).toEqual([phone]);
    const badKind = await admin.request('POST', `/v1/customers/${id}/identities`, {
      kind: 'fax',
      value: '1',
    });
    expect(badKind.status).toBe(400);
    expect(badKind.text).toContain('kind');
    // another customer's identity: 409
    const other = await admin.request<{ id: string }>('POST', '/v1/customers', {
      name: 'Someone Else',
      phones: [uniquePhone()],
    });
    const otherPhone = (await admin.request<CustomerView>('GET', `/v1/customers/${other.body.id}`)).body
      .phones[0];
    expect(
      (await admin.request('POST', `/v1/customers/${id}/identities`, { kind: 'phone', value: otherPhone }))
        .status,
    ).toBe(409);
    // detached: the next message by the handle is a new, unknown customer's
    expect(
      (await admin.request('DELETE', `/v1/customers/${id}/identities/handle/${encodeURIComponent(tg)}`))
        .status,
    ).toBe(204);
    expect(
      (await admin.request('DELETE', `/v1/customers/${id}/identities/handle/${encodeURIComponent(tg)}`))
        .status,
    ).toBe(404);
    const later = await post('messenger', conversation(), { handle: tg });
    expect(later.body.customer.known).toBe(false);
    expect(later.body.customer.id).not.toBe(id);
    // nothing left waiting for the next test
    const agent = await floor.agent({ lines: ['service'], capacity: { messenger: 2 } });
    for (let i = 0; i < 2; i++) {
      const offer = await agent.nextOffer(15_000);
      expect((await agent.accept(offer.offerId)).ok).toBe(true);
      expect((await agent.complete(offer.contact.id, 'resolved')).ok).toBe(true);
    }
  });
});

interface ReplyBody {
  messageId: string;
  contactId: string;
  seq: number;
  text: string;
}

/**
 * Agents' replies reach the outbound channel webhook exactly once and in order across a restart: the webhook fails
 * while the replies are stored and retried, every process is killed mid-delivery (SIGKILL), the webhook recovers,
 * the system is started again, and each reply is accepted once, in the conversation's order, none sent before an
 * earlier one was accepted.
 */
describe('messaging: replies across a restart', () => {
  let tether: Tether;
  let channel: CallbackReceiver;

  beforeAll(async () => {
    channel = await CallbackReceiver.start({ failFirst: 1_000_000 });
    tether = await startTether({
      apps: ['admin', 'service', 'gateway'],
      env: { TETHER_CHANNEL_URL: channel.url, TETHER_CONVERSATION_IDLE_SECONDS: '600' },
      startTimeoutMs: 120_000,
    });
  }, 300_000);
  afterAll(async () => {
    await tether?.stop();
    await channel?.close();
  });

  it('each reply is accepted once, in order, after the processes were killed mid-delivery', async () => {
    const floor = new TestFloor(tether);
    const agent = await floor.agent({ lines: ['service'], capacity: { chat: 1 } });
    const written = await floor.line('service').postMessage({
      channel: 'chat',
      conversationId: conversation(),
      messageId: messageId(),
      from: { handle: handle() },
      text: 'hi',
    });
    const offer = await agent.nextOffer(15_000);
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    const contactId = written.body.contactId;
    const texts = ['one', 'two', 'three', 'four', 'five'];
    const seqs: number[] = [];
    for (const text of texts) {
      const ack = await agent.sendMessage(contactId, text);
      expect(ack).toMatchObject({ ok: true });
      seqs.push((ack as { seq: number }).seq);
    }
    const ofContact = () =>
      channel.received.history.filter((r) => (r.body as ReplyBody).contactId === contactId);
    // the webhook is failing: the first reply is being retried, the others wait behind it
    await waitFor(() => ofContact().length >= 2, { what: 'two failed delivery attempts', timeoutMs: 10_000 });
    agent.close();
    await Promise.all(tether.processes.map((p) => p.child.kill('SIGKILL')));
    const beforeRestart = ofContact().length;
    expect(ofContact().every((r) => r.answeredStatus === 500)).toBe(true);

    channel.failNext(0);
    await tether.startApp('service');
    await tether.startApp('gateway');
    await waitFor(() => ofContact().filter((r) => r.answeredStatus === 204).length >= texts.length, {
      what: 'every reply accepted after the restart',
      timeoutMs: 40_000,
      intervalMs: 200,
    });
    // a little longer: nothing is sent twice
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const all = ofContact();
    const accepted = all.filter((r) => r.answeredStatus === 204).map((r) => r.body as ReplyBody);
    expect(accepted.map((r) => r.text)).toEqual(texts);
    expect(accepted.map((r) => r.seq)).toEqual(seqs);
    expect(new Set(accepted.map((r) => r.messageId)).size).toBe(texts.length);
    // in order: every attempt, failed or not, was for the earliest reply not yet accepted
    let next = 0;
    for (const attempt of all) {
      expect((attempt.body as ReplyBody).seq).toBe(seqs[next]);
      if (attempt.answeredStatus === 204) next++;
    }
    expect(all.length).toBeGreaterThan(beforeRestart);
  }, 90_000);
});
