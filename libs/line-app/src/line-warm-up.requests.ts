import { randomUUID } from 'node:crypto';
import { SIGNATURE_HEADER, signatureHeader } from '@tether/telephony';
import type { WarmUpRequest } from '@tether/runtime';

const CALLS = '/v1/telephony/calls';
/** a reserved fictional number: the request is refused by validation before anything is looked up */
const WARM_UP_NUMBER = '+12025550100';

/**
 * What a line app sends itself before it listens (`warmUpApp`): the webhook's whole path, signature and rate limit
 * included, with nothing recorded. A signed look-up of a call no line has (404 through the exception filter), and a
 * signed, complete call webhook with one field too many, which validation refuses (400) after checking every field.
 */
export function lineWarmUpRequests(secret: string): WarmUpRequest[] {
  const lookUp = `${CALLS}/tether-warm-up-${randomUUID()}`;
  const body = JSON.stringify({
    callId: `tether-warm-up-${randomUUID()}`,
    from: WARM_UP_NUMBER,
    to: WARM_UP_NUMBER,
    ivr: { intent: 'billing', digits: '2', language: 'en' },
    warmUp: true,
  });
  return [
    {
      method: 'GET',
      url: lookUp,
      headers: { [SIGNATURE_HEADER]: signatureHeader(secret, { method: 'GET', path: lookUp, rawBody: '' }) },
    },
    {
      method: 'POST',
      url: CALLS,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signatureHeader(secret, { method: 'POST', path: CALLS, rawBody: body }),
      },
      payload: body,
    },
  ];
}
