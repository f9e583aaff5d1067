import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The contract's X-Tether-Signature (v2), written out again from docs/contract.md rather than imported from
 * @tether/telephony: a test that signs and verifies with the product's own code could not catch the product
 * drifting from the contract. `path` is the request target as sent (path and query string); the body of a GET is ''.
 */
export function tetherSignature(
  secret: string,
  method: string,
  path: string,
  rawBody: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): string {
  return `t=${timestampSeconds},v2=${tetherHmac(secret, timestampSeconds, method, path, rawBody)}`;
}

/** The old body-only form (`v1` = HMAC over "<t>.<raw body>"), which Tether must refuse. */
export function legacyTetherSignature(
  secret: string,
  rawBody: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/**
 * Checks a header Tether sent (its telephony callbacks, method POST to `path`, the callback URL's own path and
 * query): right HMAC over method, path and body, and `t` within 300 s of now.
 */
export function isValidTetherSignature(
  secret: string,
  header: string | undefined,
  method: string,
  path: string,
  rawBody: string,
): boolean {
  const match = /^t=(\d+),v2=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const [, t, v2] = match;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = tetherHmac(secret, t, method, path, rawBody);
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(v2, 'hex'));
}

function tetherHmac(
  secret: string,
  t: number | string,
  method: string,
  path: string,
  rawBody: string,
): string {
  return createHmac('sha256', secret).update(`${t}.${method.toUpperCase()}.${path}.${rawBody}`).digest('hex');
}
