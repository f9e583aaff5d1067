import fc from 'fast-check';
import { computeSignature, signatureHeader, verifySignature } from './webhook-signature';

const secret = 'test-secret-0123456789';
const now = 1_764_000_000;

describe('webhook signature', () => {
  it('accepts a correctly signed body', () => {
    const body = '{"callId":"CA1"}';
    expect(verifySignature(secret, signatureHeader(secret, body, now), body, now)).toEqual({ ok: true });
  });

  it('accepts the empty body of a GET', () => {
    expect(verifySignature(secret, signatureHeader(secret, '', now), '', now).ok).toBe(true);
  });

  it.each([
    ['missing header', undefined],
    ['garbage', 'nonsense'],
    ['no v1', `t=${now}`],
    ['no t', `v1=${computeSignature(secret, now, 'x')}`],
    ['wrong secret', `t=${now},v1=${computeSignature('other-secret-xxxxxxxx', now, 'x')}`],
    ['stale', `t=${now - 301},v1=${computeSignature(secret, now - 301, 'x')}`],
    ['future', `t=${now + 301},v1=${computeSignature(secret, now + 301, 'x')}`],
  ])('rejects %s', (_label, header) => {
    expect(verifySignature(secret, header, 'x', now).ok).toBe(false);
  });

  it('accepts a timestamp 300 s away (the tolerance is inclusive)', () => {
    expect(
      verifySignature(secret, `t=${now - 300},v1=${computeSignature(secret, now - 300, 'x')}`, 'x', now).ok,
    ).toBe(true);
  });

  it('rejects any mutation of a signed body (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (body, other) => {
        fc.pre(body !== other);
        const header = signatureHeader(secret, body, now);
        return verifySignature(secret, header, other, now).ok === false;
      }),
      { numRuns: 2000 },
    );
  });

  describe('with several secrets (a rotation: the current one and the previous one)', () => {
    const previous = 'previous-secret-0123456789';
    const body = '{"callId":"CA1"}';

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
