import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Principal, Role, sha256 } from '@tether/auth';
import { NotFoundError, ValidationFailed } from '@tether/errors';
import { one, rows } from '@tether/persistence';
import { UserRepository } from './user.repository';
import { IssuedUserToken, UserTokenInfo } from './user.types';

/** Every user token starts with this, so a log scrubber, a secret scanner or a person can tell it apart. */
export const USER_TOKEN_PREFIX = 'tu_';
/** How long an answer of `principalOf` is reused: a revoked token or a changed role takes effect within this. */
export const PRINCIPAL_CACHE_MS = 500;
const PRINCIPAL_CACHE_MAX = 10_000;
export const USER_TOKEN_TTL_DEFAULT_SECONDS = 90 * 24 * 3600;
export const USER_TOKEN_TTL_MAX_SECONDS = 365 * 24 * 3600;
/** `last_used_at` is written only when older than this: a busy token is not a write per request. */
const LAST_USED_RESOLUTION_SECONDS = 60;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN_SHAPE = /^tu_[A-Za-z0-9_-]{43}$/;

/** Who a user token stands for, and the token's id (a throttler's bucket). */
export interface UserTokenPrincipal {
  principal: Principal;
  tokenId: string;
}

interface TokenRow {
  token_id: string;
  user_id: string;
  role: Role;
  lines: string[];
  agent_id: string | null;
  agent_lines: string[] | null;
}

/**
 * Users' API tokens: `tu_` + 32 random bytes (base64url), stored as their SHA-256 only. `principalOf` is the one
 * check every surface uses (the admin API per request, the supervisors' socket per handshake): one indexed read,
 * its answer reused for at most PRINCIPAL_CACHE_MS, so a revoked token, a deleted user or a changed role is refused
 * within that on every process.
 */
@Injectable()
export class UserTokenService {
  private readonly cache = new Map<string, { at: number; found: UserTokenPrincipal | undefined }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UserRepository,
  ) {}

  async issue(userId: string, ttlSeconds = USER_TOKEN_TTL_DEFAULT_SECONDS): Promise<IssuedUserToken> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > USER_TOKEN_TTL_MAX_SECONDS)
      throw new ValidationFailed(`ttlSeconds must be an integer from 60 to ${USER_TOKEN_TTL_MAX_SECONDS}`);
    await this.users.get(userId);
    const token = USER_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const created = await one<{ id: string; expires_at: Date }>(
      this.dataSource.manager,
      `INSERT INTO user_tokens (user_id, token_hash, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING id, expires_at`,
      [userId, sha256(token), ttlSeconds],
    );
    return { userId, tokenId: created!.id, token, expiresAt: created!.expires_at.toISOString() };
  }

  /** The user's tokens that still work (neither revoked nor expired), newest first. */
  async list(userId: string): Promise<UserTokenInfo[]> {
    await this.users.get(userId);
    const live = await rows<{ id: string; created_at: Date; expires_at: Date; last_used_at: Date | null }>(
      this.dataSource.manager,
      `SELECT id, created_at, expires_at, last_used_at FROM user_tokens
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
        ORDER BY created_at DESC, id`,
      [userId],
    );
    return live.map((token) => ({
      id: token.id,
      createdAt: token.created_at.toISOString(),
      expiresAt: token.expires_at.toISOString(),
      lastUsedAt: token.last_used_at?.toISOString() ?? null,
    }));
  }

  /** Revokes one of the user's tokens (again: no change); 404 for an unknown user or token. */
  async revoke(userId: string, tokenId: string): Promise<void> {
    await this.users.get(userId);
    const revoked =
      UUID.test(tokenId) &&
      (await one<{ id: string }>(
        this.dataSource.manager,
        `UPDATE user_tokens SET revoked_at = coalesce(revoked_at, now())
          WHERE id = $1 AND user_id = $2 RETURNING id`,
        [tokenId, userId],
      ));
    if (!revoked) throw new NotFoundError('User token', tokenId);
    this.forget(userId);
  }

  async revokeAll(userId: string): Promise<void> {
    await this.users.get(userId);
    await this.dataSource.query(
      `UPDATE user_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
      [userId],
    );
    this.forget(userId);
  }

  /** Drops this process's cached answers for the user (their tokens revoked, their role changed, deleted). */
  forget(userId: string): void {
    for (const [key, entry] of this.cache)
      if (entry.found?.principal.userId === userId) this.cache.delete(key);
  }

  /** The principal a user token stands for, or undefined (not a user token, unknown, revoked, expired). */
  async principalOf(token: unknown): Promise<Principal | undefined> {
    return (await this.identify(token))?.principal;
  }

  /** `principalOf` with the token's id. */
  async identify(token: unknown): Promise<UserTokenPrincipal | undefined> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return undefined;
    const key = sha256(token).toString('hex');
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && now - cached.at < PRINCIPAL_CACHE_MS) return cached.found;
    const found = await this.lookup(sha256(token));
    if (this.cache.size >= PRINCIPAL_CACHE_MAX) this.sweep(now);
    if (this.cache.size < PRINCIPAL_CACHE_MAX) this.cache.set(key, { at: now, found });
    return found;
  }

  private async lookup(hash: Buffer): Promise<UserTokenPrincipal | undefined> {
    // one round trip: the token's user and role, and its last use noted when older than the resolution
    const row = await one<TokenRow>(
      this.dataSource.manager,
      `WITH token AS (
         SELECT t.id AS token_id, t.last_used_at, u.id AS user_id, u.role, u.lines, u.agent_id, a.lines AS agent_lines
           FROM user_tokens t
           JOIN users u ON u.id = t.user_id
           LEFT JOIN agents a ON a.id = u.agent_id AND a.deleted_at IS NULL
          WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
       ), used AS (
         UPDATE user_tokens SET last_used_at = now()
          WHERE id = (SELECT token_id FROM token
                       WHERE last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_RESOLUTION_SECONDS} seconds')
       )
       SELECT token_id, user_id, role, lines, agent_id, agent_lines FROM token`,
      [hash],
    );
    if (!row) return undefined;
    // an agent user whose agent was removed has nothing left to act on
    if (row.role === 'agent' && row.agent_lines === null) return undefined;
    const principal: Principal = {
      actor: `user:${row.user_id}`,
      role: row.role,
      lines: row.role === 'admin' ? 'all' : row.role === 'agent' ? (row.agent_lines ?? []) : row.lines,
      userId: row.user_id,
      ...(row.agent_id ? { agentId: row.agent_id } : {}),
    };
    return { principal, tokenId: row.token_id };
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.cache) if (now - entry.at >= PRINCIPAL_CACHE_MS) this.cache.delete(key);
  }
}
