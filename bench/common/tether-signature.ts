import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * X-Tether-Signature (v2) as docs/contract.md defines it, written out here rather than imported from
 * @tether/telephony: the load generator plays the telephony platform, and the bare-transport floor must not borrow
 * Tether's code. HMAC-SHA256(secret, "<t>.<METHOD>.<path>.<raw body>"), `path` the request target as sent (path and
 * query), the body of a GET empty.
 */
export function signTether(
  secret: string,
  method: string,
  path: string,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  return `t=${nowSeconds},v2=${hmac(secret, nowSeconds, method, path, rawBody).toString('hex')}`;
}

/** Right HMAC over "t.METHOD.path.body" and `t` within 300 s of now. */
export function verifyTether(
  secret: string,
  header: string | undefined,
  method: string,
  path: string,
  rawBody: string,
): boolean {
  const match = /^t=(\d{1,12}),v2=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const [, t, v2] = match;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  return timingSafeEqual(hmac(secret, t, method, path, rawBody), Buffer.from(v2, 'hex'));
}

function hmac(secret: string, t: number | string, method: string, path: string, rawBody: string): Buffer {
  return createHmac('sha256', secret).update(`${t}.${method.toUpperCase()}.${path}.${rawBody}`).digest();
}
