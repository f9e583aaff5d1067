import { expect } from '@jest/globals';
import {
  type ErrorBody,
  type HangupRemembered,
  type Tether,
  type TelephonyClient,
  startTether,
  uniqueCallId,
  uniquePhone,
} from '@tether/testing';

/** CONTRACT: the telephony/IVR webhook of a line app (signing, validation, idempotency, events). */
describe('telephony webhook', () => {
  let tether: Tether;
  let sales: TelephonyClient;

  beforeAll(async () => {
    tether = await startTether();
    sales = tether.line('sales');
  });
  afterAll(async () => {
    // hang up what the tests left queued, so the system stops cleanly with nothing pending
    if (sales) await Promise.all([...sales.callIds].map((callId) => sales.hangup(callId)));
    await tether?.stop();
  });

  const newCall = () => ({ callId: uniqueCallId(), from: uniquePhone(), to: '+15550000001' });

  describe('signature', () => {
    it('a valid v2 signature is accepted (the control for every refusal below)', async () => {
      const call = newCall();
      expect((await sales.postCall(call)).status).toBe(201);
      expect((await sales.getCall(call.callId)).status).toBe(200);
    });

    it.each(['missing', 'bad', 'stale', 'future', 'legacy'] as const)(
      'a %s signature is refused with 401',
      async (signature) => {
        const call = newCall();
        const response = await sales.postCall(call, { signature });
        expect(response.status).toBe(401);
        // and nothing was created
        expect((await sales.getCall(call.callId)).status).toBe(404);
      },
    );

    it('the old body-only v1 form is refused, and the answer says so', async () => {
      const response = await sales.postCall(newCall(), { signature: 'legacy' });
      expect(response.status).toBe(401);
      expect((response.body as unknown as ErrorBody).message).toMatch(/v1.*no longer accepted/);
    });

    it('is checked before the body: an invalid body with a bad signature is 401, not 400', async () => {
      expect((await sales.postCall('{"callId": 42, "extra": true}', { signature: 'bad' })).status).toBe(401);
      expect((await sales.postCall('{"callId": 42}', { signature: 'legacy' })).status).toBe(401);
      expect((await sales.postCall('{not json', { signature: 'missing' })).status).toBe(401);
      expect((await sales.postCall('{not json', { signature: 'stale' })).status).toBe(401);
    });

    it('covers the GET and the events too', async () => {
      expect((await sales.getCall('CA-unknown', { signature: 'bad' })).status).toBe(401);
      expect((await sales.getCall('CA-unknown', { signature: 'legacy' })).status).toBe(401);
      expect((await sales.postEvent('CA-unknown', 'hangup', { signature: 'missing' })).status).toBe(401);
      expect((await sales.postEvent('CA-unknown', 'hangup', { signature: 'legacy' })).status).toBe(401);
    });

    it('covers the query string: the same request with a query added or changed is refused', async () => {
      const call = newCall();
      await sales.postCall(call);
      const path = `/v1/telephony/calls/${call.callId}`;
      const signed = await sales.request('GET', `${path}?view=full`);
      expect(signed.response.status).toBe(200); // a query string is no trouble when it is signed
      const replay = { signatureHeader: signed.signatureHeader };
      expect((await sales.request('GET', path, '', replay)).response.status).toBe(401);
      expect((await sales.request('GET', `${path}?view=brief`, '', replay)).response.status).toBe(401);
    });
  });

  describe('validation', () => {
    it.each([
      ['a missing field', { from: '+15551230001', to: '+15550000001' }, /callId/],
      ['a mistyped field', { callId: 123, from: '+15551230001', to: '+15550000001' }, /callId/],
      [
        'a mistyped nested field',
        { callId: 'CA-x', from: '+15551230001', to: '+15550000001', ivr: { intent: 5 } },
        /ivr\.intent/,
      ],
      [
        'an unknown field',
        { callId: 'CA-x', from: '+15551230001', to: '+15550000001', priority: 9 },
        /priority/,
      ],
    ])('%s is a 400 naming the field', async (_label, body, field) => {
      const response = await sales.postCall(JSON.stringify(body));
      expect(response.status).toBe(400);
      expect((response.body as unknown as ErrorBody).message).toMatch(field);
    });

    it('invalid JSON is a 400 that says so', async () => {
      const response = await sales.postCall('{"callId": "CA-1",');
      expect(response.status).toBe(400);
      expect((response.body as unknown as ErrorBody).message).toMatch(/JSON/);
    });

    it('an unknown event type is a 400 naming the field', async () => {
      const call = await sales.postCall(newCall());
      const response = await sales.postEvent(call.body.callId, 'exploded');
      expect(response.status).toBe(400);
      expect((response.body as unknown as ErrorBody).message).toMatch(/type/);
    });
  });

  describe('calls', () => {
    it('a new call is 201 with the contract shape', async () => {
      const call = newCall();
      const response = await sales.postCall(call);
      expect(response.status).toBe(201);
      expect(response.body).toEqual(
        expect.objectContaining({
          contactId: expect.any(String),
          status: 'queued',
          customer: { id: expect.any(String), known: false },
          announcement: null,
          queuePosition: expect.any(Number),
          estimatedWaitSeconds: expect.any(Number),
        }),
      );
      expect(response.body.queuePosition).toBeGreaterThanOrEqual(1);
      expect(response.body.estimatedWaitSeconds).toBeGreaterThanOrEqual(0);
    });

    it('the same callId again is 200 with the same contact, and creates nothing', async () => {
      const call = newCall();
      const first = await sales.postCall(call);
      const again = await sales.postCall(call);
      expect(first.status).toBe(201);
      expect(again.status).toBe(200);
      expect(again.body.contactId).toBe(first.body.contactId);
      expect(again.body.customer.id).toBe(first.body.customer.id);
      // the repeat did not queue a second contact behind the first
      expect(again.body.queuePosition).toBe(first.body.queuePosition);
    });

    it('10 concurrent duplicates: exactly one 201, the rest 200, one contact', async () => {
      const call = newCall();
      const responses = await Promise.all(Array.from({ length: 10 }, () => sales.postCall(call)));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(responses.map((r) => r.body.contactId)).size).toBe(1);
      expect(new Set(responses.map((r) => r.body.customer.id)).size).toBe(1);
    });

    it('GET returns the call with its current status', async () => {
      const call = newCall();
      const created = await sales.postCall(call);
      const fetched = await sales.getCall(call.callId);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(
        expect.objectContaining({
          contactId: created.body.contactId,
          status: 'queued',
          customer: created.body.customer,
          announcement: null,
        }),
      );
      expect(fetched.body.agent).toBeUndefined();
    });

    it('a GET of an unknown callId is 404', async () => {
      expect((await sales.getCall(uniqueCallId())).status).toBe(404);
    });

    it('an answered event for an unknown callId is 404', async () => {
      expect((await sales.postEvent(uniqueCallId(), 'answered')).status).toBe(404);
    });

    it('an answered event is recorded and changes nothing for routing', async () => {
      const call = newCall();
      const created = await sales.postCall(call);
      const answered = await sales.postEvent(call.callId, 'answered');
      expect(answered.status).toBe(200);
      expect(answered.body).toEqual(
        expect.objectContaining({ contactId: created.body.contactId, status: 'queued' }),
      );
    });

    it('a hangup of a queued call abandons it', async () => {
      const call = newCall();
      await sales.postCall(call);
      const hungUp = await sales.hangup(call.callId);
      expect(hungUp.status).toBe(200);
      expect(hungUp.body.status).toBe('ended');
      expect((await sales.getCall(call.callId)).body).toEqual(
        expect.objectContaining({ status: 'ended', endReason: 'abandoned' }),
      );
    });

    it('the line is implied by the app: the same callId on another line app is another call', async () => {
      const service = tether.line('service');
      const call = newCall();
      const onSales = await sales.postCall(call);
      const onService = await service.postCall(call);
      expect(onSales.status).toBe(201);
      expect(onService.status).toBe(201);
      expect(onService.body.contactId).not.toBe(onSales.body.contactId);
      // each line finds its own, and a repeat on either line is that line's repeat
      expect((await sales.getCall(call.callId)).body.contactId).toBe(onSales.body.contactId);
      expect((await service.getCall(call.callId)).body.contactId).toBe(onService.body.contactId);
      expect((await service.postCall(call)).body.contactId).toBe(onService.body.contactId);
      // a hang-up on one line ends that line's call only
      expect((await service.hangup(call.callId)).body.status).toBe('ended');
      expect((await sales.getCall(call.callId)).body.status).toBe('queued');
    });

    it('a callId only another line has is not found on this one', async () => {
      const call = newCall();
      await sales.postCall(call);
      expect((await tether.line('presales').getCall(call.callId)).status).toBe(404);
      expect((await tether.line('presales').postEvent(call.callId, 'answered')).status).toBe(404);
      expect((await sales.getCall(call.callId)).status).toBe(200);
    });
  });

  describe('a hang-up that overtakes its call webhook', () => {
    it('is answered 202 and remembered; the late call webhook answers "ended" and queues nothing', async () => {
      const call = newCall();
      const hungUp = await sales.hangup(call.callId);
      expect(hungUp.status).toBe(202);
      expect(hungUp.body).toEqual({
        callId: call.callId,
        line: 'sales',
        status: 'ended',
        contactId: null,
        rememberedUntil: expect.any(String),
      });
      // remembered for at least 10 minutes
      const { rememberedUntil } = hungUp.body as HangupRemembered;
      expect(Date.parse(rememberedUntil)).toBeGreaterThanOrEqual(Date.now() + 10 * 60_000 - 5_000);
      // a second copy of the hang-up is remembered too, not an error
      expect((await sales.hangup(call.callId)).status).toBe(202);

      const late = await sales.postCall(call);
      expect(late.status).toBe(201);
      expect(late.body).toEqual(
        expect.objectContaining({ status: 'ended', queuePosition: null, estimatedWaitSeconds: null }),
      );
      // the platform's next copy of the webhook gets the same ended contact; the call is ended, never queued
      const again = await sales.postCall(call);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(
        expect.objectContaining({ contactId: late.body.contactId, status: 'ended' }),
      );
      expect((await sales.getCall(call.callId)).body).toEqual(
        expect.objectContaining({ contactId: late.body.contactId, status: 'ended', endReason: 'abandoned' }),
      );
      // and a hang-up now finds the call: 200
      const after = await sales.hangup(call.callId);
      expect(after.status).toBe(200);
      expect(after.body.contactId).toBe(late.body.contactId);
    });

    it('is remembered for its own line only: the same callId on another line is queued as usual', async () => {
      const call = newCall();
      expect((await sales.hangup(call.callId)).status).toBe(202);
      const onService = await tether.line('service').postCall(call);
      expect(onService.status).toBe(201);
      expect(onService.body.status).toBe('queued');
      expect((await tether.line('service').hangup(call.callId)).status).toBe(200);
      expect((await sales.postCall(call)).body.status).toBe('ended');
    });

    it('a hang-up and its call webhook sent at the same moment end in one order or the other, never a live call', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const call = newCall();
          const [hungUp, posted] = await Promise.all([sales.hangup(call.callId), sales.postCall(call)]);
          const got = await sales.getCall(call.callId);
          return { hangup: hungUp.status, call: posted.status, status: got.body.status };
        }),
      );
      for (const result of results) {
        expect([200, 202]).toContain(result.hangup);
        expect(result.call).toBe(201);
        expect(result.status).toBe('ended');
      }
    });
  });
});
