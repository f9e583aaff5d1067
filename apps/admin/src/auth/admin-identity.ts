import type { FastifyRequest } from 'fastify';
import { SecretsService, adminActor } from '@tether/auth';

/** Who sent an admin request: an admin token's actor name, or why it is refused. */
export type AdminIdentity = { actor: string; refusal?: undefined } | { actor?: undefined; refusal: string };

const IDENTITY = Symbol('tether.adminIdentity');
type IdentifiedRequest = FastifyRequest & { [IDENTITY]?: AdminIdentity };

/**
 * The bearer token checked once per request and the answer kept on it: the throttler (which bucket: the token's,
 * or the address's bucket of refused attempts), the auth guard (401) and the audit log (actor) all read this one.
 */
export function identifyAdmin(request: FastifyRequest, secrets: SecretsService): AdminIdentity {
  const identified = request as IdentifiedRequest;
  return (identified[IDENTITY] ??= identify(request.headers.authorization, secrets));
}

/** The actor `identifyAdmin` found for this request, if it ran and the token was an admin token. */
export function adminActorOf(request: FastifyRequest): string | undefined {
  return (request as IdentifiedRequest)[IDENTITY]?.actor;
}

function identify(header: string | undefined, secrets: SecretsService): AdminIdentity {
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) return { refusal: 'missing bearer token (Authorization: Bearer <admin token>)' };
  if (!secrets.isAdminToken(match[1])) return { refusal: 'invalid admin token' };
  return { actor: adminActor(match[1]) };
}
