import { createHmac } from 'node:crypto';

/** A secret that signs or verifies agent tokens, and the key id (`kid` header) that names it. */
export interface AgentTokenKey {
  kid: string;
  secret: string;
}

/**
 * The key id of a signing secret: derived from it (an HMAC, so it reveals nothing of the secret), so a rotation
 * needs no ids to manage: the instances that share a secret name it alike.
 */
export function agentTokenKeyId(secret: string): string {
  return createHmac('sha256', secret).update('tether agent token key id').digest('base64url').slice(0, 16);
}

/**
 * The agent-token keys a process holds: tokens are signed with the current one only; a token is verified with the
 * key its `kid` names, the current or (while `TETHER_JWT_SECRET_PREVIOUS` is set) the previous one. A `kid` that
 * names neither is refused. A token without a `kid` (signed before key ids existed) is checked against the current
 * secret only, so it stops working at the first rotation.
 */
export class AgentTokenKeys {
  readonly current: AgentTokenKey;
  private readonly byId = new Map<string, string>();

  constructor(current: string, previous?: string) {
    this.current = { kid: agentTokenKeyId(current), secret: current };
    if (previous !== undefined) this.byId.set(agentTokenKeyId(previous), previous);
    this.byId.set(this.current.kid, current);
  }

  /** The secret to verify a token with, by its header's `kid`; undefined: an unknown key, refuse the token. */
  secretFor(kid: unknown): string | undefined {
    if (kid === undefined) return this.current.secret;
    return typeof kid === 'string' ? this.byId.get(kid) : undefined;
  }
}
