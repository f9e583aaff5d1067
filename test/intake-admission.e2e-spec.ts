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
      // the count alone: the latency target (its own describe below) would refuse some of this burst too
      env: {
        TETHER_INTAKE_MAX_IN_FLIGHT: '2',
        TETHER_INTAKE_RETRY_AFTER_SECONDS: '3',
        TETHER_INTAKE_TARGET_MS: '0',
      },
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Past the limit in time: with a latency target no webhook can meet (1 ms), a line app driven at an open-loop rate
 * (the platform does not wait for answers) sees a standing queue after 100 ms and refuses what it cannot serve in
 * time, 503 + Retry-After naming the reason, before recording anything; every call it answered 201 is a queued
 * contact; when the load stops, it admits again by itself.
 */
describe('intake latency target', () => {
  let tether: Tether;

  beforeAll(async () => {
    tether = await startTether({
      apps: ['sales'],
      // a target no webhook meets, and a hold that admits at least 8 waiting (a platform's closed loop over 8
      // connections): the flood below sends far more at once
      env: {
        TETHER_INTAKE_TARGET_MS: '1',
        TETHER_INTAKE_HOLD_FLOOR: '8',
        TETHER_INTAKE_RETRY_AFTER_SECONDS: '2',
      },
    });
  });
  afterAll(() => tether?.stop());

  it('an open-loop flood: some 503 intake_overloaded with nothing recorded, every 201 queued; then admitted again', async () => {
    const sales = tether.line('sales');
    const sent: { callId: string; answer: ReturnType<typeof sales.postCall> }[] = [];
    // 10 webhooks every 5 ms for about a second, none waiting for another's answer
    for (let wave = 0; wave < 100; wave++) {
      for (let i = 0; i < 10; i++) {
        const callId = uniqueCallId();
        sent.push({
          callId,
          answer: sales.postCall({ callId, from: uniquePhone(), to: '+15550000001' }, { timeoutMs: 60_000 }),
        });
      }
      await sleep(5);
    }
    const answers = await Promise.all(sent.map((s) => s.answer));
    const refused = sent.filter((_, i) => answers[i].status === 503);
    const created = sent.filter((_, i) => answers[i].status === 201);
    expect(refused.length + created.length).toBe(sent.length);
    expect(refused.length).toBeGreaterThan(0);
    expect(created.length).toBeGreaterThan(0);
    for (const [i, answer] of answers.entries()) {
      if (answer.status !== 503) continue;
      expect(answer.headers.get('retry-after')).toBe('2');
      const refusal = answer.body as unknown as { error?: string; message?: string };
      expect(refusal.error).toBe('intake_overloaded');
      expect(refusal.message).toMatch(/within 1 ms \(TETHER_INTAKE_TARGET_MS\)/);
      expect(sent[i].callId).toEqual(expect.any(String));
    }

    // nothing admitted is lost: every 201 is a contact the line holds, queued (no agent is online)
    for (const { callId } of created) {
      const call = await sales.getCall(callId);
      expect(call.status).toBe(200);
      expect(call.body).toMatchObject({ callId, status: 'queued' });
    }
    // and a refused call was never recorded
    for (const { callId } of refused.slice(0, 20)) expect((await sales.getCall(callId)).status).toBe(404);

    // the flood is over: admitted again, without a restart
    for (let i = 0; i < 20; i++) {
      const answer = await sales.postCall({
        callId: uniqueCallId(),
        from: uniquePhone(),
        to: '+15550000001',
      });
      expect(answer.status).toBe(201);
    }
    // and a refused call's retry is a new call
    expect(
      (await sales.postCall({ callId: refused[0].callId, from: uniquePhone(), to: '+15550000001' })).status,
    ).toBe(201);
  }, 120_000);
});
