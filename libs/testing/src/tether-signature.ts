import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The contract's X-Tether-Signature, written out again from docs/contract.md rather than imported from
 * @tether/telephony: a test that signs and verifies with the product's own code could not catch the product
 * drifting from the contract.
 */
export function tetherSignature(
  secret: string,
  rawBody: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** Checks a header Tether sent (its telephony callbacks): right HMAC, and `t` within 300 s of now. */
export function isValidTetherSignature(secret: string, header: string | undefined, rawBody: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const [, t, v1] = match;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = tetherSignature(secret, rawBody, Number(t)).split('v1=')[1];
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(v1, 'hex'));
}
