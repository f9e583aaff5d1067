import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { isValidTwilioSignature, TWILIO_SIGNATURE_HEADER } from '@tether/telephony';

/** The public URL Twilio called: TETHER_PUBLIC_URL (a proxy in front) plus the request target, else the request's own. */
export function calledUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  const target = request.raw.url ?? request.url;
  return publicUrl
    ? `${publicUrl}${target}`
    : `${request.protocol}://${request.headers.host ?? request.hostname}${target}`;
}

/** The base (scheme, host, any path prefix) of `calledUrl`: where this line app's Twilio webhooks are reached. */
export function calledBase(request: FastifyRequest, publicUrl: string | undefined): string {
  return publicUrl ?? `${request.protocol}://${request.headers.host ?? request.hostname}`;
}

/**
 * Twilio's own scheme instead of Tether's: `X-Twilio-Signature`, HMAC-SHA1 with TWILIO_AUTH_TOKEN over the full URL
 * Twilio called and the sorted form fields (`isValidTwilioSignature`). A bad or missing signature, or one made for
 * another URL → 403; the adapter answers 503 while Twilio is not configured. Twilio's signature has no timestamp:
 * replays are met by idempotency on CallSid (the same call again creates nothing) and by the lifecycle's order (a
 * status for an ended call changes nothing).
 */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  constructor(@Inject(TETHER_CONFIG) private readonly config: TetherConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const twilio = this.config.twilio;
    if (!twilio)
      throw new ServiceUnavailableException({
        statusCode: 503,
        error: 'twilio_not_configured',
        message: 'the Twilio adapter needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
      });
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers[TWILIO_SIGNATURE_HEADER];
    const fields = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
      string,
      string
    >;
    const url = calledUrl(request, this.config.publicUrl);
    if (!isValidTwilioSignature(twilio.authToken, Array.isArray(header) ? header[0] : header, url, fields))
      throw new ForbiddenException({
        statusCode: 403,
        error: 'invalid_signature',
        message: 'X-Twilio-Signature does not match this URL and these fields',
      });
    return true;
  }
}
