import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal, Role } from '@tether/auth';
import { principalOf } from './admin-identity';

export const ROLES = Symbol('tether.roles');

/**
 * The roles that may call a route (on a handler, or on a controller for all its handlers; the handler's wins).
 * A route without it is for admins only. Line scope and ownership are checked by the handler (`line-scope.ts`).
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/** The request's principal (the auth guard has already refused a request without one). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = principalOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (!principal) throw new Error('no principal on an authenticated route');
    return principal;
  },
);
