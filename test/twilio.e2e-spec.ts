import { randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import twilio from 'twilio';
import {
  CallbackReceiver,
  type Tether,
  TestFloor,
  httpJson,
  startTether,
  uniquePhone,
} from '@tether/testing';

const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');

/**
 * The Twilio Programmable Voice adapter, driven as Twilio drives it: form-encoded webhooks signed with Twilio's own
 * library (`getExpectedTwilioSignature`), TwiML answers, and a local stand-in for Twilio's REST API that records the
 * call updates Tether makes when an agent accepts.
 */
describe('Twilio adapter', () => {
  let tether: Tether;
  let floor: TestFloor;
  let restApi: CallbackReceiver;

  beforeAll(async () => {
    restApi = await CallbackReceiver.start();
    tether = await startTether({
      env: {
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_API_BASE_URL: new URL(restApi.url).origin,
      },
    });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    await restApi?.close();
  });

  /** POSTs a form to a line app's Twilio path, signed as Twilio signs it (for `signedFor`'s URL when given). */
  async function twilioPost(
    line: 'sales' | 'service',
    path: string,
    fields: Record<string, string>,
    options: { signedFor?: string; token?: string } = {},
  ): Promise<{ status: number; text: string; contentType: string }> {
    const url = `${tether.urls[line]}${path}`;
    const signature = twilio.getExpectedTwilioSignature(
      options.token ?? AUTH_TOKEN,
      options.signedFor ?? url,
      fields,
    );
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(fields).toString(),
    });
    return {
      status: response.status,
      text: await response.text(),
      contentType: response.headers.get('content-type') ?? '',
    };
  }

  const incoming = (line: 'sales' | 'service', callSid: string, from: string) =>
    twilioPost(line, '/v1/telephony/twilio/voice', {
      CallSid: callSid,
      AccountSid: ACCOUNT_SID,
      From: from,
      To: '+15550000001',
      CallStatus: 'ringing',
      Direction: 'inbound',
    });
  const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;
  const updatesOf = (callSid: string) =>
    restApi.received.history.filter(
      (r) => r.path === `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}.json`,
    );

  it('a call comes in: TwiML that enqueues it on the line; a replayed CallSid creates nothing new', async () => {
    const callSid = newCallSid();
    const answer = await incoming('sales', callSid, uniquePhone());
    expect(answer.status).toBe(200);
    expect(answer.contentType).toContain('text/xml');
    expect(answer.text).toMatch(
      /<Enqueue waitUrl="\/v1\/telephony\/twilio\/wait" waitUrlMethod="POST">sales<\/Enqueue>/,
    );
    expect(answer.text).not.toContain('Hello');
    const view = await floor.line('sales').getCall(callSid);
    expect(view.body).toMatchObject({ status: 'queued', callId: callSid });
    const again = await incoming('sales', callSid, uniquePhone());
    expect(again.status).toBe(200);
    expect((await floor.line('sales').getCall(callSid)).body.contactId).toBe(view.body.contactId);
    floor.line('sales').callIds.add(callSid);
  });

  it('a known caller is greeted by name; a caller with an open case is asked one question', async () => {
    const phone = uniquePhone();
    await floor.admin.createCustomer({ name: 'Ada Lovelace', phones: [phone] });
    const owner = await floor.agent({ lines: ['service'] });
    const first = newCallSid();
    expect((await incoming('service', first, phone)).text).toContain('<Say>Hello Ada Lovelace.</Say>');
    const offer = await owner.nextOffer();
    expect((await owner.accept(offer.offerId)).ok).toBe(true);
    expect(
      (
        await owner.complete(offer.contact.id, 'follow_up', 'line drops at night', {
          subject: 'Line drops at night',
        })
      ).ok,
    ).toBe(true);
    await twilioPost('service', '/v1/telephony/twilio/status', { CallSid: first, CallStatus: 'completed' });
    expect((await owner.setStatus('away')).ok).toBe(true);

    const second = newCallSid();
    const answer = await incoming('service', second, phone);
    expect(answer.text).toContain('Hello Ada Lovelace.');
    expect(answer.text).toMatch(
      /<Gather numDigits="1" timeout="5" action="\/v1\/telephony\/twilio\/voice\/case" method="POST"><Say>Are you calling about Line drops at night\? Press 1\.<\/Say><\/Gather>/,
    );
    expect(answer.text).toContain('<Enqueue');
    const yes = await twilioPost('service', '/v1/telephony/twilio/voice/case', {
      CallSid: second,
      Digits: '1',
    });
    expect(yes.text).toContain('<Enqueue');
    expect((await owner.setStatus('available')).ok).toBe(true);
    expect(await owner.nextOffer()).toMatchObject({ reason: 'case_owner' });
    floor.line('service').callIds.add(second);
  });

  it('the wait URL speaks the position and offers a callback by digit when the wait is long', async () => {
    await floor.rules('sales', { callback: { offerAfterWaitSeconds: 0 } });
    const callSid = newCallSid();
    const phone = uniquePhone();
    await incoming('sales', callSid, phone);
    const wait = await twilioPost('sales', '/v1/telephony/twilio/wait', {
      CallSid: callSid,
      QueuePosition: '1',
    });
    expect(wait.text).toContain('You are number 1 in the queue.');
    expect(wait.text).toContain('action="/v1/telephony/twilio/callback"');
    const chosen = await twilioPost('sales', '/v1/telephony/twilio/callback', {
      CallSid: callSid,
      Digits: '1',
    });
    expect(chosen.text).toContain('<Hangup/>');
    // the caller hangs up; their contact waits as a callback
    await twilioPost('sales', '/v1/telephony/twilio/status', { CallSid: callSid, CallStatus: 'completed' });
    expect((await floor.line('sales').getCall(callSid)).body).toMatchObject({
      status: 'queued',
      callback: { state: 'waiting', callerLeftAt: expect.any(String) },
    });

    // the agent who takes it gets the customer called back through Twilio, from the number they called
    const agent = await floor.agent({ lines: ['sales'] });
    expect((await agent.accept((await agent.nextOffer()).offerId)).ok).toBe(true);
    const created = await restApi.received.take({
      matching: (r) => r.path === `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`,
    });
    const fields = new URLSearchParams(created.rawBody);
    expect(fields.get('To')).toBe(phone);
    expect(fields.get('From')).toBe('+15550000001');
    expect(fields.get('Twiml')).toContain(`<Client>${agent.agentId}</Client>`);
    expect(fields.get('StatusCallback')).toBe(
      `${tether.urls.sales}/v1/telephony/twilio/status?callId=${callSid}`,
    );
    // nobody answers: a failed attempt, the agent is free, the callback waits for its retry
    const noAnswer = await twilioPost('sales', `/v1/telephony/twilio/status?callId=${callSid}`, {
      CallSid: newCallSid(),
      CallStatus: 'no-answer',
    });
    expect(noAnswer.status).toBe(204);
    expect((await floor.line('sales').getCall(callSid)).body).toMatchObject({
      status: 'queued',
      callback: { state: 'waiting', attempts: 1, lastResult: 'no_answer' },
    });
  });

  it('on accept, exactly one call update whose TwiML dials the accepting agent', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    const callSid = newCallSid();
    await incoming('sales', callSid, uniquePhone());
    const offer = await agent.nextOffer();
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    const update = await restApi.received.take({
      matching: (r) => r.path === `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}.json`,
    });
    expect(update.method).toBe('POST');
    expect(update.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
    );
    const twiml = new URLSearchParams(update.rawBody).get('Twiml');
    expect(twiml).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Client>${agent.agentId}</Client></Dial></Response>`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(updatesOf(callSid)).toHaveLength(1);
    floor.line('sales').callIds.add(callSid);
  });

  it('a status "completed" before the answer abandons the contact; later statuses change nothing', async () => {
    const callSid = newCallSid();
    await incoming('sales', callSid, uniquePhone());
    const done = await twilioPost('sales', '/v1/telephony/twilio/status', {
      CallSid: callSid,
      CallStatus: 'completed',
    });
    expect(done.status).toBe(204);
    expect((await floor.line('sales').getCall(callSid)).body).toMatchObject({
      status: 'ended',
      endReason: 'abandoned',
    });
    await twilioPost('sales', '/v1/telephony/twilio/status', { CallSid: callSid, CallStatus: 'no-answer' });
    expect((await floor.line('sales').getCall(callSid)).body).toMatchObject({ endReason: 'abandoned' });
  });

  it('refuses a wrong signature, a signature for another URL, and a missing CallSid', async () => {
    const fields = { CallSid: newCallSid(), From: uniquePhone(), To: '+15550000001' };
    expect(
      (await twilioPost('sales', '/v1/telephony/twilio/voice', fields, { token: 'f'.repeat(32) })).status,
    ).toBe(403);
    expect(
      (
        await twilioPost('sales', '/v1/telephony/twilio/voice', fields, {
          signedFor: `${tether.urls.sales}/v1/telephony/twilio/wait`,
        })
      ).status,
    ).toBe(403);
    // the JSON contract's signature is not Twilio's
    const unsigned = await httpJson(`${tether.urls.sales}/v1/telephony/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    expect(unsigned.status).toBe(403);
    const missing = await twilioPost('sales', '/v1/telephony/twilio/voice', { From: uniquePhone() });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('CallSid');
    expect((await floor.line('sales').getCall(fields.CallSid)).status).toBe(404);
  });

  describe.each(['json', 'twilio'] as const)('routing, calls arriving through the %s entry', (entry) => {
    const callIdOf = new Map<string, string>();
    async function arrive(from: string = uniquePhone()): Promise<string> {
      if (entry === 'json') {
        const call = await floor.call('sales', { from });
        callIdOf.set(call.contactId, call.callId);
        return call.contactId;
      }
      const callSid = newCallSid();
      expect((await incoming('sales', callSid, from)).status).toBe(200);
      floor.line('sales').callIds.add(callSid);
      const contactId = (await floor.line('sales').getCall(callSid)).body.contactId;
      callIdOf.set(contactId, callSid);
      return contactId;
    }
    /** the caller hangs up: the JSON contract's hangup event, or Twilio's status callback */
    async function hangUp(contactId: string): Promise<void> {
      const callId = callIdOf.get(contactId)!;
      if (entry === 'json') expect((await floor.line('sales').hangup(callId)).status).toBe(200);
      else
        expect(
          (
            await twilioPost('sales', '/v1/telephony/twilio/status', {
              CallSid: callId,
              CallStatus: 'completed',
            })
          ).status,
        ).toBe(204);
    }
    const statusOf = async (contactId: string) =>
      (await floor.line('sales').getCall(callIdOf.get(contactId)!)).body;

    it('the longest-idle agent first; a returning caller goes back to their last agent', async () => {
      const first = await floor.agent({ lines: ['sales'] });
      const second = await floor.agent({ lines: ['sales'] });
      const phone = uniquePhone();
      const contactId = await arrive(phone);
      const offer = await first.nextOffer();
      expect(offer).toMatchObject({ reason: 'skills', contact: { id: contactId } });
      expect((await first.accept(offer.offerId)).ok).toBe(true);
      expect((await first.complete(contactId, 'resolved')).ok).toBe(true);

      // both free again; the caller comes back: their last agent, not the longer idle one
      const again = await arrive(phone);
      const sticky = await first.nextOffer();
      expect(sticky).toMatchObject({ reason: 'sticky', contact: { id: again } });
      await second.expectNoOffer(300);
    });

    it('a hang-up while queued abandons the contact; while offered it revokes the offer', async () => {
      const queued = await arrive();
      await hangUp(queued);
      expect(await statusOf(queued)).toMatchObject({ status: 'ended', endReason: 'abandoned' });
      const agent = await floor.agent({ lines: ['sales'] });
      await agent.expectNoOffer(300);
      const offered = await arrive();
      const offer = await agent.nextOffer();
      expect(offer.contact.id).toBe(offered);
      await hangUp(offered);
      expect(await agent.nextRevoked()).toMatchObject({ offerId: offer.offerId, reason: 'caller_hung_up' });
      expect(await statusOf(offered)).toMatchObject({ status: 'ended', endReason: 'abandoned' });
    });

    it('an offer not accepted in time expires: the agent is set away and the next agent gets it', async () => {
      await floor.rules('sales', { offerTimeoutSeconds: 1 });
      const first = await floor.agent({ lines: ['sales'] });
      const second = await floor.agent({ lines: ['sales'] });
      const contactId = await arrive();
      const ignored = await first.nextOffer();
      expect(ignored.contact.id).toBe(contactId);
      expect(await first.nextRevoked(5_000)).toMatchObject({ offerId: ignored.offerId, reason: 'expired' });
      expect(await first.nextPresence((p) => p.state === 'away')).toMatchObject({ state: 'away' });
      const next = await second.nextOffer();
      expect(next.contact.id).toBe(contactId);
      expect((await second.accept(next.offerId)).ok).toBe(true);
      expect(await statusOf(contactId)).toMatchObject({ status: 'connected', agent: { id: second.agentId } });
    });
  });
});
