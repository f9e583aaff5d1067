import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-tether-signature';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function computeSignature(
  secret: string,
  timestamp: number | string,
  rawBody: string | Buffer,
): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The header value Tether sends on its own callbacks, and what a telephony platform sends us. */
export function signatureHeader(
  secret: string,
  rawBody: string | Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  return `t=${nowSeconds},v1=${computeSignature(secret, nowSeconds, rawBody)}`;
}

/**
 * Verifies `t=<unix seconds>,v1=<hex>` (several v1 allowed, for secret rotation on the sender's side) against
 * HMAC-SHA256(secret, "<t>.<raw body>") in constant time, rejecting timestamps more than 300 s from now. `secrets`:
 * every secret a signature may be made with (the current one, and the previous one during a rotation).
 */
export function verifySignature(
  secrets: string | readonly string[],
  header: string | undefined,
  rawBody: string | Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing X-Tether-Signature header' };
  let timestamp: string | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') candidates.push(value);
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'signature has no valid timestamp (t=)' };
  if (candidates.length === 0) return { ok: false, reason: 'signature has no v1= value' };
  if (Math.abs(nowSeconds - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'signature timestamp is outside the 300 s tolerance' };
  }
  const expected = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) =>
    Buffer.from(computeSignature(secret, timestamp, rawBody), 'hex'),
  );
  const matches = candidates.some((candidate) => {
    if (!/^[0-9a-fA-F]{64}$/.test(candidate)) return false;
    const given = Buffer.from(candidate, 'hex');
    return expected.some((one) => timingSafeEqual(one, given));
  });
  return matches ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
