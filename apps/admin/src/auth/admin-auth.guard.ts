import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { type Role, canSeeLine } from '@tether/auth';
import { isPublicRoute } from '@tether/transport';
import { AuditLogService } from '../audit/audit-log.service';
import { AdminIdentityResolver } from './admin-identity';
import type { Principal } from '@tether/auth';
import { ROLES } from './roles.decorator';

/**
 * Resolves the bearer token to a principal, once per request, before anything else reads it (registered first).
 * Checks nothing itself: the throttler then puts the request in its bucket, and `AdminAuthGuard` refuses.
 */
@Injectable()
export class AdminIdentityGuard implements CanActivate {
  constructor(private readonly identities: AdminIdentityResolver) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (isPublicRoute(context)) return true;
    await this.identities.resolve(context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}

/**
 * Every admin route needs `Authorization: Bearer <token>` (the admin token or a user's) unless marked @Public(),
 * and the principal's role must be one the route allows (`@Roles`, admins only by default). Runs after the
 * throttler; every refusal (401, 403) is audited with the actor when there is one. A route with a `:line` in its
 * path is refused (403) to a principal outside that line; other objects' lines are checked by the handlers.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly identities: AdminIdentityResolver,
    private readonly audit: AuditLogService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (isPublicRoute(context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const identity = await this.identities.resolve(request);
    if (identity.principal === undefined) {
      this.audit.refused(request, identity.status);
      const error = identity.status === 403 ? 'forbidden' : 'unauthorized';
      const body = { statusCode: identity.status, error, message: identity.refusal };
      throw identity.status === 403 ? new ForbiddenException(body) : new UnauthorizedException(body);
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [
      context.getHandler(),
      context.getClass(),
    ]) ?? ['admin'];
    const refusal = !roles.includes(identity.principal.role)
      ? `this route is for ${roles.join(' or ')} users; yours is ${identity.principal.role}`
      : outOfScope(identity.principal, request);
    if (refusal === undefined) return true;
    this.audit.refused(request, 403);
    throw new ForbiddenException({ statusCode: 403, error: 'forbidden', message: refusal });
  }
}

/** Why a route naming a line (`/v1/lines/:line/...`) is refused to this principal, or undefined. */
function outOfScope(principal: Principal, request: FastifyRequest): string | undefined {
  const line = (request.params as Record<string, unknown> | undefined)?.line;
  return typeof line === 'string' && !canSeeLine(principal, line)
    ? `line ${line} is outside your lines`
    : undefined;
}
