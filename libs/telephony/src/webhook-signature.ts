import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-tether-signature';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * What a signature covers: the upper-case method, the request target exactly as sent (path and query string, e.g.
 * `/v1/telephony/calls/CA123/events?x=1`) and the raw body (empty for a GET). Binding method and path is what stops
 * a captured `{"type":"hangup"}` from ending another call, or a captured GET from reading one.
 */
export interface SignedRequest {
  method: string;
  path: string;
  rawBody: string | Buffer;
}

/** hex HMAC-SHA256(secret, "<t>.<METHOD>.<path>.<raw body>") */
export function computeSignature(secret: string, timestamp: number | string, request: SignedRequest): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}.${request.method.toUpperCase()}.${request.path}.`)
    .update(request.rawBody)
    .digest('hex');
}

/** The header value Tether sends on its own callbacks, and what a telephony platform sends us. */
export function signatureHeader(
  secret: string,
  request: SignedRequest,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  return `t=${nowSeconds},v2=${computeSignature(secret, nowSeconds, request)}`;
}

/**
 * Verifies `t=<unix seconds>,v2=<hex>` (several v2 allowed, for secret rotation on the sender's side) against
 * HMAC-SHA256(secret, "<t>.<METHOD>.<path>.<raw body>") in constant time, rejecting timestamps more than 300 s from
 * now. `secrets`: every secret a signature may be made with (the current one, and the previous one during a
 * rotation). The old body-only `v1` form is refused: it could be replayed against any call and any endpoint.
 */
export function verifySignature(
  secrets: string | readonly string[],
  header: string | undefined,
  request: SignedRequest,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing X-Tether-Signature header' };
  let timestamp: string | undefined;
  let legacy = false;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v2') candidates.push(value);
    else if (key === 'v1') legacy = true;
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'signature has no valid timestamp (t=)' };
  if (candidates.length === 0) {
    return {
      ok: false,
      reason: legacy
        ? 'the body-only v1 signature is no longer accepted: sign "<t>.<METHOD>.<path>.<raw body>" as v2='
        : 'signature has no v2= value',
    };
  }
  if (Math.abs(nowSeconds - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'signature timestamp is outside the 300 s tolerance' };
  }
  const expected = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) =>
    Buffer.from(computeSignature(secret, timestamp, request), 'hex'),
  );
  const matches = candidates.some((candidate) => {
    if (!/^[0-9a-fA-F]{64}$/.test(candidate)) return false;
    const given = Buffer.from(candidate, 'hex');
    return expected.some((one) => timingSafeEqual(one, given));
  });
  return matches ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
