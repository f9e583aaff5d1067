import twilio from 'twilio';

export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

/**
 * Whether `signature` is what Twilio sends for this request: HMAC-SHA1 with the auth token over the full URL Twilio
 * called followed by the POST fields sorted by name, base64 (Twilio's own `validateRequest`, constant-time).
 */
export function isValidTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  fields: Record<string, string>,
): boolean {
  if (!signature) return false;
  return twilio.validateRequest(authToken, signature, url, fields);
}
