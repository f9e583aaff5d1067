import { sha256 } from './secrets.service';

/** What a credential may do. `admin`: everything; `supervisor`: their lines; `agent`: their own work. */
export type Role = 'admin' | 'supervisor' | 'agent';

/**
 * Who is behind a request or a socket, once its credential is checked: the one shape every role, line-scope and
 * ownership check reads, and the audit log's actor.
 */
export interface Principal {
  /** the audit log's actor: `admin:<12 hex of the token's SHA-256>` for the bootstrap admin token, `user:<id>` for a named user */
  actor: string;
  role: Role;
  /** the lines this principal may see and act on: `all` (admins) or a list of line names */
  lines: 'all' | readonly string[];
  /** a named user's id (absent for the bootstrap admin token) */
  userId?: string;
  /** the agent a user with the `agent` role works as */
  agentId?: string;
}

/**
 * An admin token's name in the audit log: stable, not secret (12 hex digits of its SHA-256; the token itself has at
 * least 16 characters, a generated one 32 random bytes). `printf %s "$TOKEN" | sha256sum | cut -c1-12` finds it.
 */
export function adminActor(token: string): string {
  return `admin:${sha256(token).toString('hex').slice(0, 12)}`;
}

/** The bootstrap admin token (`TETHER_ADMIN_TOKEN`) as a principal: every line, every action. */
export function bootstrapAdmin(token: string): Principal {
  return { actor: adminActor(token), role: 'admin', lines: 'all' };
}

/** Whether the principal may see and act on this line. */
export function canSeeLine(principal: Principal, line: string): boolean {
  return principal.lines === 'all' || principal.lines.includes(line);
}

/** The lines of `lines` the principal may see, in their order. */
export function visibleLines<T extends string>(principal: Principal, lines: readonly T[]): T[] {
  return lines.filter((line) => canSeeLine(principal, line));
}
