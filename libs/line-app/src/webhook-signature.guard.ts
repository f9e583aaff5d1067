import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SecretsService } from '@tether/auth';
import { SIGNATURE_HEADER, verifySignature } from '@tether/telephony';

/**
 * Runs before any pipe: an unsigned or stale request is refused (401) before its body is even validated. The
 * signature covers the method and the request target as sent (`request.raw.url`: path and query, before Fastify
 * decodes or rewrites anything), so it cannot be replayed against another call id or endpoint.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(private readonly secrets: SecretsService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers[SIGNATURE_HEADER];
    const check = verifySignature(this.secrets.webhookSecrets, Array.isArray(header) ? header[0] : header, {
      method: request.method,
      path: request.raw.url ?? request.url,
      rawBody: request.rawBody ?? Buffer.alloc(0),
    });
    if (!check.ok)
      throw new UnauthorizedException({ statusCode: 401, error: 'invalid_signature', message: check.reason });
    return true;
  }
}
