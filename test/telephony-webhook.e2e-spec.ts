import { expect } from '@jest/globals';
import {
  type ErrorBody,
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
    it.each(['missing', 'bad', 'stale', 'future'] as const)(
      'a %s signature is refused with 401',
      async (signature) => {
        const call = newCall();
        const response = await sales.postCall(call, { signature });
        expect(response.status).toBe(401);
        // and nothing was created
        expect((await sales.getCall(call.callId)).status).toBe(404);
      },
    );

    it('is checked before the body: an invalid body with a bad signature is 401, not 400', async () => {
      expect((await sales.postCall('{"callId": 42, "extra": true}', { signature: 'bad' })).status).toBe(401);
      expect((await sales.postCall('{not json', { signature: 'missing' })).status).toBe(401);
      expect((await sales.postCall('{not json', { signature: 'stale' })).status).toBe(401);
    });

    it('covers the GET and the events too', async () => {
      expect((await sales.getCall('CA-unknown', { signature: 'bad' })).status).toBe(401);
      expect((await sales.postEvent('CA-unknown', 'hangup', { signature: 'missing' })).status).toBe(401);
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

    it('a hangup of an unknown callId is 404', async () => {
      expect((await sales.hangup(uniqueCallId())).status).toBe(404);
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

    it('the line is implied by the app: the same body on another line app is another line, same idempotency key', async () => {
      const call = newCall();
      const onSales = await sales.postCall(call);
      const onService = await tether.line('service').postCall(call);
      // callId is the provider's id: the same call cannot be on two lines, so the repeat returns the first contact
      expect(onService.status).toBe(200);
      expect(onService.body.contactId).toBe(onSales.body.contactId);
    });
  });
});
