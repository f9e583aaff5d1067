import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * X-Tether-Signature as docs/contract.md defines it, written out here rather than imported from @tether/telephony:
 * the load generator plays the telephony platform, and the bare-transport floor must not borrow Tether's code.
 */
export function signTether(
  secret: string,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const v1 = createHmac('sha256', secret).update(`${nowSeconds}.${rawBody}`).digest('hex');
  return `t=${nowSeconds},v1=${v1}`;
}

/** Right HMAC over "t.body" and `t` within 300 s of now. */
export function verifyTether(secret: string, header: string | undefined, rawBody: string): boolean {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const [, t, v1] = match;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
