import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AgentTokenService, Principal, SecretsService } from '@tether/auth';
import type { UserTokenService } from '@tether/users';
import { AdminIdentityResolver, adminActorOf, identityOf, principalOf } from './admin-identity';

const TOKEN = 'the-admin-token-0123456789abcdef';
const USER_TOKEN = `tu_${'a'.repeat(43)}`;
const AGENT_TOKEN = 'agent.jwt.token';
const SUPERVISOR: Principal = { actor: 'user:u1', role: 'supervisor', lines: ['sales'], userId: 'u1' };

function resolver() {
  let userChecks = 0;
  const secrets = { isAdminToken: (token: string) => token === TOKEN } as unknown as SecretsService;
  const users = {
    identify: (token: string) => {
      userChecks++;
      return Promise.resolve(token === USER_TOKEN ? { principal: SUPERVISOR, tokenId: 't1' } : undefined);
    },
  } as unknown as UserTokenService;
  const agents = {
    agentIdOf: (token: string) => Promise.resolve(token === AGENT_TOKEN ? 'agent-1' : undefined),
  } as unknown as AgentTokenService;
  return { service: new AdminIdentityResolver(secrets, users, agents), userChecks: () => userChecks };
}

const request = (authorization?: string) => ({ headers: { authorization } }) as unknown as FastifyRequest;

describe('AdminIdentityResolver', () => {
  it('names the admin token by 12 hex digits of its SHA-256, never the token; its bucket is that name', async () => {
    const identity = await resolver().service.resolve(request(`Bearer ${TOKEN}`));
    const expected = `admin:${createHash('sha256').update(TOKEN).digest('hex').slice(0, 12)}`;
    expect(identity).toEqual({
      principal: { actor: expected, role: 'admin', lines: 'all' },
      bucket: expected,
    });
  });

  it('a user token is its user (user:<id>), in its own token bucket', async () => {
    const req = request(`Bearer ${USER_TOKEN}`);
    expect(await resolver().service.resolve(req)).toEqual({ principal: SUPERVISOR, bucket: 'user-token:t1' });
    expect(principalOf(req)).toBe(SUPERVISOR);
    expect(adminActorOf(req)).toBe('user:u1');
  });

  it.each([
    [undefined, 401, /missing bearer token/],
    [`Basic ${TOKEN}`, 401, /missing bearer token/],
    ['Bearer not-the-token', 401, /invalid token/],
    [`Bearer ${TOKEN}x`, 401, /invalid token/],
    [`Bearer ${AGENT_TOKEN}`, 403, /agent token opens the \/agents socket only/],
  ])('%s is refused (%d), saying why', async (header, status, reason) => {
    const identity = await resolver().service.resolve(request(header));
    expect(identity.principal).toBeUndefined();
    expect(identity.status).toBe(status);
    expect(identity.refusal).toMatch(reason);
  });

  it("an agent token's refusal names the agent in the audit log", async () => {
    const req = request(`Bearer ${AGENT_TOKEN}`);
    await resolver().service.resolve(req);
    expect(adminActorOf(req)).toBe('agent:agent-1');
  });

  it('checks the token once per request: the throttler, the guard and the audit log share the answer', async () => {
    const { service, userChecks } = resolver();
    const req = request(`Bearer ${USER_TOKEN}`);
    expect(identityOf(req)).toBeUndefined();
    await Promise.all([service.resolve(req), service.resolve(req)]);
    await service.resolve(req);
    expect(userChecks()).toBe(1);
  });
});
