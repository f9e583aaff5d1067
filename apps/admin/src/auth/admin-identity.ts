import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AgentTokenService, Principal, SecretsService, adminActor, bootstrapAdmin } from '@tether/auth';
import { UserTokenService } from '@tether/users';

/**
 * Who sent an admin request: a principal (the bootstrap admin token, or a named user's token) with the throttler's
 * bucket for its token, or why it is refused: 401 for no token or one that is nobody's, 403 for an agent's token
 * (a real credential, for the /agents socket only).
 */
export type AdminIdentity =
  | { principal: Principal; bucket: string; refusal?: undefined; status?: undefined; actor?: undefined }
  | { principal?: undefined; bucket?: undefined; refusal: string; status: 401 | 403; actor?: string };

const IDENTITY = Symbol('tether.adminIdentity');
type IdentifiedRequest = FastifyRequest & { [IDENTITY]?: Promise<AdminIdentity>; [RESOLVED]?: AdminIdentity };
const RESOLVED = Symbol('tether.adminIdentity.resolved');

/**
 * The bearer token checked once per request and the answer kept on it: the first guard (`AdminAuthGuard`) awaits
 * it, then the throttler (which bucket), the role and line checks and the audit log (actor) all read this one.
 */
@Injectable()
export class AdminIdentityResolver {
  constructor(
    private readonly secrets: SecretsService,
    private readonly userTokens: UserTokenService,
    private readonly agentTokens: AgentTokenService,
  ) {}

  resolve(request: FastifyRequest): Promise<AdminIdentity> {
    const identified = request as IdentifiedRequest;
    return (identified[IDENTITY] ??= this.identify(request.headers.authorization).then(
      (identity) => (identified[RESOLVED] = identity),
    ));
  }

  private async identify(header: string | undefined): Promise<AdminIdentity> {
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) return { refusal: 'missing bearer token (Authorization: Bearer <token>)', status: 401 };
    const token = match[1];
    if (this.secrets.isAdminToken(token)) {
      const principal = bootstrapAdmin(token);
      return { principal, bucket: principal.actor };
    }
    const user = await this.userTokens.identify(token);
    if (user) return { principal: user.principal, bucket: `user-token:${user.tokenId}` };
    const agentId = await this.agentTokens.agentIdOf(token);
    if (agentId)
      return {
        refusal: 'an agent token opens the /agents socket only: the admin API takes an admin or user token',
        status: 403,
        actor: `agent:${agentId}`,
      };
    return { refusal: 'invalid token', status: 401 };
  }
}

/** What `AdminIdentityResolver.resolve` found for this request, once it has. */
export function identityOf(request: FastifyRequest): AdminIdentity | undefined {
  return (request as IdentifiedRequest)[RESOLVED];
}

/** The principal behind this request, if its token was accepted. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return identityOf(request)?.principal;
}

/** The audit log's actor: the principal's, an agent token's `agent:<id>`, or undefined (anonymous). */
export function adminActorOf(request: FastifyRequest): string | undefined {
  const identity = identityOf(request);
  return identity?.principal?.actor ?? identity?.actor;
}

export { adminActor };
