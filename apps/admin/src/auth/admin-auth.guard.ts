import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SecretsService } from '@tether/auth';
import { isPublicRoute } from '@tether/transport';
import { AuditLogService } from '../audit/audit-log.service';
import { identifyAdmin } from './admin-identity';

/**
 * Every admin route needs `Authorization: Bearer <admin token>` unless marked @Public(). Runs after the throttler,
 * which has already put a refused request in its own bucket (`adminThrottlers`); a refusal is audited.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly secrets: SecretsService,
    private readonly audit: AuditLogService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (isPublicRoute(context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const identity = identifyAdmin(request, this.secrets);
    if (identity.actor !== undefined) return true;
    this.audit.refused(request, 401);
    throw new UnauthorizedException({ statusCode: 401, error: 'unauthorized', message: identity.refusal });
  }
}
