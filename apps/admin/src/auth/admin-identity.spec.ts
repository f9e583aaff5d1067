import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { SecretsService } from '@tether/auth';
import { adminActor } from '@tether/auth';
import { adminActorOf, identifyAdmin } from './admin-identity';

const TOKEN = 'the-admin-token-0123456789abcdef';

function secrets() {
  let checks = 0;
  const service = {
    isAdminToken: (token: string) => {
      checks++;
      return token === TOKEN;
    },
  } as unknown as SecretsService;
  return { service, checks: () => checks };
}

const request = (authorization?: string) => ({ headers: { authorization } }) as unknown as FastifyRequest;

describe('identifyAdmin', () => {
  it('names a valid token by 12 hex digits of its SHA-256, never the token', () => {
    const identity = identifyAdmin(request(`Bearer ${TOKEN}`), secrets().service);
    const expected = `admin:${createHash('sha256').update(TOKEN).digest('hex').slice(0, 12)}`;
    expect(identity).toEqual({ actor: expected });
    expect(adminActor(TOKEN)).toBe(expected);
  });

  it.each([
    [undefined, /missing bearer token/],
    [`Basic ${TOKEN}`, /missing bearer token/],
    ['Bearer not-the-token', /invalid admin token/],
    [`Bearer ${TOKEN}x`, /invalid admin token/],
  ])('%s is refused, saying why', (header, reason) => {
    const identity = identifyAdmin(request(header), secrets().service);
    expect(identity.actor).toBeUndefined();
    expect(identity.refusal).toMatch(reason);
  });

  it('checks the token once per request: the throttler, the guard and the audit log share the answer', () => {
    const { service, checks } = secrets();
    const req = request(`Bearer ${TOKEN}`);
    expect(adminActorOf(req)).toBeUndefined();
    identifyAdmin(req, service);
    identifyAdmin(req, service);
    expect(checks()).toBe(1);
    expect(adminActorOf(req)).toMatch(/^admin:[0-9a-f]{12}$/);
  });
});
