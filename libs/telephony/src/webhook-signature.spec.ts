import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { computeSignature, SignedRequest, signatureHeader, verifySignature } from './webhook-signature';

const secret = 'test-secret-0123456789';
const now = 1_764_000_000;
const hangup: SignedRequest = {
  method: 'POST',
  path: '/v1/telephony/calls/CA1/events',
  rawBody: '{"type":"hangup"}',
};
const x: SignedRequest = { method: 'POST', path: '/v1/telephony/calls', rawBody: 'x' };

describe('webhook signature (v2: bound to method and path)', () => {
  it('accepts a correctly signed request (positive control for every refusal below)', () => {
    expect(verifySignature(secret, signatureHeader(secret, hangup, now), hangup, now)).toEqual({ ok: true });
  });

  it('is the contract\'s HMAC-SHA256(secret, "<t>.<METHOD>.<path>.<raw body>"), written out independently', () => {
    const expected = createHmac('sha256', secret)
      .update(`${now}.POST./v1/telephony/calls/CA1/events.{"type":"hangup"}`)
      .digest('hex');
    expect(signatureHeader(secret, hangup, now)).toBe(`t=${now},v2=${expected}`);
  });

  it('accepts the empty body of a GET', () => {
    const get = { method: 'GET', path: '/v1/telephony/calls/CA1', rawBody: '' };
    expect(verifySignature(secret, signatureHeader(secret, get, now), get, now).ok).toBe(true);
  });

  it.each([
    ['another method', { ...hangup, method: 'GET' }],
    ['another call id in the path', { ...hangup, path: '/v1/telephony/calls/CA2/events' }],
    ['another endpoint', { ...hangup, path: '/v1/telephony/calls' }],
    ['a query string added', { ...hangup, path: `${hangup.path}?line=service` }],
    ['another body', { ...hangup, rawBody: '{"type":"answered"}' }],
    ['an empty body', { ...hangup, rawBody: '' }],
  ])('refuses a signature replayed against %s', (_label, replayed: SignedRequest) => {
    const header = signatureHeader(secret, hangup, now);
    expect(verifySignature(secret, header, hangup, now).ok).toBe(true);
    expect(verifySignature(secret, header, replayed, now)).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
  });

  it('refuses a signature whose t was changed (the HMAC covers it)', () => {
    const [, v2] = signatureHeader(secret, hangup, now).split(',');
    expect(verifySignature(secret, `t=${now - 1},${v2}`, hangup, now).ok).toBe(false);
  });

  it('refuses the old body-only v1 form, saying so, even when its HMAC is right', () => {
    const v1 = createHmac('sha256', secret)
      .update(`${now}.${String(hangup.rawBody)}`)
      .digest('hex');
    const check = verifySignature(secret, `t=${now},v1=${v1}`, hangup, now);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(/v1.*no longer accepted/);
  });

  it('a v1 next to a valid v2 changes nothing: the v2 decides', () => {
    const header = `${signatureHeader(secret, hangup, now)},v1=${'0'.repeat(64)}`;
    expect(verifySignature(secret, header, hangup, now).ok).toBe(true);
  });

  it('several v2 values (the sender rotating its secret): one matching is enough', () => {
    const other = computeSignature('other-secret-xxxxxxxx', now, hangup);
    const header = `t=${now},v2=${other},v2=${computeSignature(secret, now, hangup)}`;
    expect(verifySignature(secret, header, hangup, now).ok).toBe(true);
  });

  it.each([
    ['missing header', undefined],
    ['garbage', 'nonsense'],
    ['no v2', `t=${now}`],
    ['no t', `v2=${computeSignature(secret, now, x)}`],
    ['a malformed v2', `t=${now},v2=zz${computeSignature(secret, now, x).slice(2)}`],
    ['wrong secret', `t=${now},v2=${computeSignature('other-secret-xxxxxxxx', now, x)}`],
    ['stale', `t=${now - 301},v2=${computeSignature(secret, now - 301, x)}`],
    ['future', `t=${now + 301},v2=${computeSignature(secret, now + 301, x)}`],
  ])('rejects %s', (_label, header) => {
    expect(verifySignature(secret, header, x, now).ok).toBe(false);
  });

  it('accepts a timestamp 300 s away either side (the tolerance is inclusive)', () => {
    for (const t of [now - 300, now + 300])
      expect(verifySignature(secret, `t=${t},v2=${computeSignature(secret, t, x)}`, x, now).ok).toBe(true);
  });

  it('method case does not matter to the signer (it signs the upper-case method)', () => {
    const lower = { ...hangup, method: 'post' };
    expect(verifySignature(secret, signatureHeader(secret, lower, now), hangup, now).ok).toBe(true);
  });

  // the contract's "." separators make (path "a.b", body "c") and (path "a", body "b.c") one string: the property
  // is over requests whose signed strings differ (a JSON body starts with "{", so a real path cannot absorb it)
  it('rejects any change of the signed path and body (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.string(),
        (path, body, otherPath, otherBody) => {
          fc.pre(`${path}.${body}` !== `${otherPath}.${otherBody}`);
          const header = signatureHeader(secret, { method: 'POST', path, rawBody: body }, now);
          return (
            verifySignature(secret, header, { method: 'POST', path: otherPath, rawBody: otherBody }, now)
              .ok === false
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  describe('with several secrets (a rotation: the current one and the previous one)', () => {
    const previous = 'previous-secret-0123456789';
    const body: SignedRequest = { method: 'POST', path: '/v1/telephony/calls', rawBody: '{"callId":"CA1"}' };

    it('accepts a signature made with any of them', () => {
      for (const signer of [secret, previous])
        expect(verifySignature([secret, previous], signatureHeader(signer, body, now), body, now)).toEqual({
          ok: true,
        });
    });

    it('refuses one made with a secret not in the list, and the previous one once it is dropped', () => {
      expect(
        verifySignature([secret, previous], signatureHeader('another-secret-xxxxxxxx', body, now), body, now)
          .ok,
      ).toBe(false);
      expect(verifySignature([secret], signatureHeader(previous, body, now), body, now).ok).toBe(false);
      expect(verifySignature([], signatureHeader(secret, body, now), body, now).ok).toBe(false);
    });
  });
});
