import { expect } from '@jest/globals';
import {
  type Tether,
  httpJson,
  startTether,
  tetherSignature,
  uniqueCallId,
  uniquePhone,
} from '@tether/testing';

/**
 * Past the limit: a line app serves at most TETHER_INTAKE_MAX_IN_FLIGHT call webhooks at once and answers the next
 * one 503 with Retry-After, recording nothing; every call it answered 201 is a contact, and once the burst is over
 * it admits again by itself.
 */
describe('intake admission limit', () => {
  let tether: Tether;

  beforeAll(async () => {
    tether = await startTether({
      apps: ['sales'],
      env: { TETHER_INTAKE_MAX_IN_FLIGHT: '2', TETHER_INTAKE_RETRY_AFTER_SECONDS: '3' },
    });
  });
  afterAll(() => tether?.stop());

  function webhook(callId = uniqueCallId()) {
    const raw = JSON.stringify({ callId, from: uniquePhone(), to: '+15550000001' });
    return httpJson<{ contactId?: string; error?: string }>(`${tether.urls.sales}/v1/telephony/calls`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-tether-signature': tetherSignature(tether.webhookSecret, 'POST', '/v1/telephony/calls', raw),
      },
      body: raw,
    });
  }

  it('a burst beyond the limit: some 503 + Retry-After with nothing recorded, the rest contacts; then admitted again', async () => {
    const callIds = Array.from({ length: 40 }, () => uniqueCallId());
    const answers = await Promise.all(callIds.map((callId) => webhook(callId)));
    const refused = answers.filter((answer) => answer.status === 503);
    const created = answers.filter((answer) => answer.status === 201);
    expect(refused.length + created.length).toBe(answers.length);
    expect(refused.length).toBeGreaterThan(0);
    expect(created.length).toBeGreaterThanOrEqual(2);
    for (const answer of refused) {
      expect(answer.headers.get('retry-after')).toBe('3');
      expect(answer.body.error).toBe('intake_at_capacity');
    }
    for (const answer of created) expect(answer.body.contactId).toEqual(expect.any(String));

    // a refused call was never recorded: its retry, once the burst is over, is a new call (201), not a repeat (200)
    const retried = await webhook(callIds[answers.findIndex((answer) => answer.status === 503)]);
    expect(retried.status).toBe(201);
  });
});
