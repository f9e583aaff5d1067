import type { ExecutionContext } from '@nestjs/common';
import { DEFAULT_IPV6_SUBNET_PREFIX, normalizeIp, type ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { TetherConfig } from '@tether/config';
import { identityOf } from './admin-identity';

/**
 * The admin API's two buckets. The token is checked first (`AdminIdentityGuard`: the admin token's hash and a
 * constant-time compare, or a user token's one indexed read), so a request lands in exactly one:
 *  - `admin-token`: requests with a valid admin or user token, per token (TETHER_ADMIN_RATE_LIMIT_PER_SECOND, 100/s);
 *  - `refused`: requests without one, per client address (TETHER_AUTH_FAILURES_PER_MINUTE, 60/min; 429 beyond).
 * A flood of bad tokens, from anywhere, never spends an admin's budget: the admin behind the same office NAT as the
 * flood is still let in. (Guessing is not the threat this guards: an admin token has at least 16 characters.)
 */
export function adminThrottlers(config: TetherConfig): ThrottlerOptions[] {
  const identity = (request: FastifyRequest) =>
    identityOf(request) ?? { principal: undefined, bucket: undefined };
  const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<FastifyRequest>();
  return [
    {
      name: 'admin-token',
      ttl: 1000,
      limit: config.adminRateLimitPerSecond,
      skipIf: (context) => identity(requestOf(context)).principal === undefined,
      getTracker: (request) => identity(request as FastifyRequest).bucket ?? '',
    },
    {
      name: 'refused',
      ttl: 60_000,
      limit: config.authFailuresPerMinute,
      skipIf: (context) => identity(requestOf(context)).principal !== undefined,
      // an IPv6 client's whole /64, as the library's own tracker does: one host has all of it
      getTracker: (request) => normalizeIp((request as FastifyRequest).ip, DEFAULT_IPV6_SUBNET_PREFIX),
    },
  ];
}
