import { randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import {
  CallbackReceiver,
  type Tether,
  TestFloor,
  isValidTetherSignature,
  startTether,
  uniquePhone,
  waitFor,
} from '@tether/testing';

const conversation = () => `conv-${randomBytes(6).toString('hex')}`;
const messageId = () => `msg-${randomBytes(6).toString('hex')}`;

interface ReplyBody {
  event: string;
  messageId: string;
  contactId: string;
  conversationId: string;
  seq: number;
  text: string;
}

/**
 * Messaging channels through the public surfaces: a platform posts customers' messages (`POST /v1/messages`, signed),
 * the first of a conversation opens a contact routed by the same engine as calls (per-channel capacity), later ones
 * reach the agent holding it (`message`), the agent's replies (`message:send`) reach the outbound channel webhook in
 * order, signed; concurrent first messages make one contact; last-agent routing across channels per the line's rule.
 */
describe('messaging channels', () => {
  let tether: Tether;
  let floor: TestFloor;
  let channel: CallbackReceiver;

  beforeAll(async () => {
    channel = await CallbackReceiver.start();
    tether = await startTether({
      env: { TETHER_CHANNEL_URL: channel.url, TETHER_CONVERSATION_IDLE_SECONDS: '10' },
    });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    await channel?.close();
  });

  const chat = (conversationId: string, text: string, from: Record<string, string>, id = messageId()) =>
    floor.line('service').postMessage({ channel: 'chat', conversationId, messageId: id, from, text });

  it('a chat opens a contact; the agent gets later messages and their replies go out in order, signed', async () => {
    const agent = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 2 } });
    const conv = conversation();
    const first = await chat(conv, 'My router keeps rebooting.', { email: 'ada@example.com' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'queued', customer: { known: false } });
    const offer = await agent.nextOffer();
    expect(offer.contact).toMatchObject({
      id: first.body.contactId,
      channel: 'chat',
      messages: [{ seq: 1, direction: 'in', text: 'My router keeps rebooting.' }],
    });
    expect((await agent.accept(offer.offerId)).ok).toBe(true);

    const secondId = messageId();
    const second = await chat(conv, 'Since last night.', { email: 'ada@example.com' }, secondId);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ contactId: first.body.contactId, status: 'connected' });
    expect(await agent.messages.take()).toMatchObject({
      contactId: first.body.contactId,
      seq: 2,
      direction: 'in',
      text: 'Since last night.',
    });
    // the platform retries the same message: nothing new
    const again = await chat(conv, 'Since last night.', { email: 'ada@example.com' }, secondId);
    expect(again.status).toBe(200);

    expect(await agent.sendMessage(first.body.contactId, 'Sorry to hear that.')).toMatchObject({
      ok: true,
      seq: 3,
    });
    expect(await agent.sendMessage(first.body.contactId, 'Please unplug it for 10 s.')).toMatchObject({
      ok: true,
      seq: 4,
    });
    await waitFor(
      () =>
        channel.received.history.filter((r) => (r.body as ReplyBody).contactId === first.body.contactId)
          .length >= 2,
      {
        what: 'both replies delivered',
        timeoutMs: 10_000,
      },
    );
    const replies = channel.received.history
      .filter((r) => (r.body as ReplyBody).contactId === first.body.contactId)
      .map((r) => r);
    expect(replies.map((r) => (r.body as ReplyBody).text)).toEqual([
      'Sorry to hear that.',
      'Please unplug it for 10 s.',
    ]);
    expect(replies[0].body).toMatchObject({ event: 'message.send', conversationId: conv, seq: 3 });
    expect(
      isValidTetherSignature(
        tether.webhookSecret,
        replies[0].headers['x-tether-signature'] as string,
        'POST',
        replies[0].path,
        replies[0].rawBody,
      ),
    ).toBe(true);
    expect((await agent.complete(first.body.contactId, 'resolved')).ok).toBe(true);
  });

  it('an agent with chat capacity 2 holds two chats and is offered no third until one ends', async () => {
    const agent = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 2 } });
    const contacts: string[] = [];
    for (let i = 0; i < 3; i++)
      contacts.push(
        (
          await chat(conversation(), `hello ${i}`, {
            handle: `telegram:u${i}${randomBytes(3).toString('hex')}`,
          })
        ).body.contactId,
      );
    const one = await agent.nextOffer();
    const two = await agent.nextOffer();
    expect([one.contact.id, two.contact.id].sort()).toEqual(contacts.slice(0, 2).sort());
    expect((await agent.accept(one.offerId)).ok).toBe(true);
    expect((await agent.accept(two.offerId)).ok).toBe(true);
    await agent.expectNoOffer(1_000);
    expect((await agent.complete(one.contact.id, 'resolved')).ok).toBe(true);
    const third = await agent.nextOffer();
    expect(third.contact.id).toBe(contacts[2]);
    // nothing left waiting for the next test
    expect((await agent.accept(third.offerId)).ok).toBe(true);
    expect((await agent.complete(two.contact.id, 'resolved')).ok).toBe(true);
    expect((await agent.complete(third.contact.id, 'resolved')).ok).toBe(true);
  });

  it('concurrent first messages of one conversation make one contact', async () => {
    const conv = conversation();
    const from = { phone: uniquePhone() };
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(conv, `part ${i}`, from)));
    expect(new Set(answers.map((a) => a.body.contactId)).size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const agent = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 1 } });
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(answers[0].body.contactId);
    expect(offer.contact.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    expect((await agent.complete(offer.contact.id, 'resolved')).ok).toBe(true);
  });

  it.each([false, true])(
    'a chat from a customer known by phone goes to their last voice agent only across channels (%s)',
    async (across) => {
      await floor.rules('service', { sticky: { acrossChannels: across } });
      const phone = uniquePhone();
      const voiceAgent = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 1 } });
      const call = await floor.call('service', { from: phone });
      const offer = await voiceAgent.nextOffer();
      expect((await voiceAgent.accept(offer.offerId)).ok).toBe(true);
      expect((await voiceAgent.complete(call.contactId, 'resolved')).ok).toBe(true);
      // another agent, idle longer than the voice agent now
      const other = await floor.agent({ lines: ['service'], capacity: { voice: 1, chat: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await voiceAgent.setStatus('away')).ok).toBe(true);
      expect((await voiceAgent.setStatus('available')).ok).toBe(true);
      const written = await chat(conversation(), 'about my bill', { phone });
      const taker = across ? voiceAgent : other;
      const chatOffer = await taker.nextOffer();
      expect(chatOffer).toMatchObject({
        reason: across ? 'sticky' : 'skills',
        contact: { id: written.body.contactId },
      });
      expect((await taker.accept(chatOffer.offerId)).ok).toBe(true);
      expect((await taker.complete(written.body.contactId, 'resolved')).ok).toBe(true);
    },
  );

  it('a conversation idle past its timeout ends its contact', async () => {
    const written = await chat(conversation(), 'anyone there?', { handle: 'x:idle-user' });
    expect(written.status).toBe(201);
    await waitFor(
      async () => {
        const agent = await floor.admin.request<{ contacts: { id: string; status?: string }[] }>(
          'GET',
          `/v1/customers/${written.body.customer.id}`,
        );
        return agent.body.contacts.some((c) => c.id === written.body.contactId && c.status === 'ended');
      },
      { what: 'the idle conversation ended', timeoutMs: 20_000, intervalMs: 500 },
    );
  }, 30_000);

  it('refuses what is not valid, naming the field', async () => {
    const bad = await floor.line('service').postMessage({
      channel: 'fax',
      conversationId: 'c',
      messageId: 'm',
      from: { phone: uniquePhone() },
      text: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('channel');
    const nobody = await floor
      .line('service')
      .postMessage({ channel: 'chat', conversationId: 'c', messageId: 'm', from: {}, text: 'x' });
    expect(nobody.status).toBe(400);
    expect(nobody.text).toContain('from');
    const unsigned = await floor.line('service').postMessage({ channel: 'chat' }, { signature: 'missing' });
    expect(unsigned.status).toBe(401);
    const agent = await floor.agent({ lines: ['service'] });
    const call = await floor.call('service');
    expect((await agent.accept((await agent.nextOffer()).offerId)).ok).toBe(true);
    expect(await agent.sendMessage(call.contactId, 'hi')).toEqual({
      ok: false,
      error: expect.stringContaining('contactId'),
    });
  });
});
