import type { Role } from '@tether/auth';

export const USER_ROLES: readonly Role[] = ['admin', 'supervisor', 'agent'];

/** A named user of the admin API and the supervisors' socket. */
export interface User {
  id: string;
  name: string;
  role: Role;
  /** a supervisor's lines (an agent user's are their agent's; an admin sees every line): [] for the others */
  lines: string[];
  /** the agent an `agent` user works as; null for the other roles */
  agentId: string | null;
  /** @format date-time */
  createdAt: string;
  /** @format date-time */
  updatedAt: string;
}

export interface NewUser {
  name: string;
  role: Role;
  /** required (at least one) for a supervisor, refused for the other roles */
  lines?: string[];
  /** required for an agent user, refused for the other roles */
  agentId?: string;
}

/** What `PATCH /v1/users/{id}` may change; the result must be a valid user as a whole. */
export type UserChanges = Partial<NewUser>;

/** What an admin sees of a user's token: never the token itself. */
export interface UserTokenInfo {
  id: string;
  /** @format date-time */
  createdAt: string;
  /** @format date-time */
  expiresAt: string;
  /** the last request or handshake made with it (to the minute), null if none */
  lastUsedAt: string | null;
}

/** A token as issued: the only time the token itself is shown. */
export interface IssuedUserToken {
  userId: string;
  tokenId: string;
  token: string;
  /** @format date-time */
  expiresAt: string;
}

export interface UserPage {
  users: User[];
  /** the cursor of the next page, or null */
  next: string | null;
}
