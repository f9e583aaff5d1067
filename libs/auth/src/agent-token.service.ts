import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { DomainError, NotFoundError } from '@tether/errors';
import { BatchResult, one, retryDeadlock, rows, Sql, StatementBatcher } from '@tether/persistence';
import { SecretsService } from './secrets.service';

export class InvalidAgentToken extends DomainError {
  constructor(reason: string) {
    super('invalid_token', 'unauthorized', reason);
  }
}

export interface AgentPrincipal {
  agentId: string;
  tokenId: string;
  expiresAt: Date;
}

/** What an admin sees of an agent's token: never the token itself. */
export interface AgentTokenInfo {
  id: string;
  /** @format date-time */
  createdAt: string;
  /** @format date-time */
  expiresAt: string;
  /** the last socket handshake made with it (to the minute), null if it never opened one */
  lastUsedAt: string | null;
}

interface AgentClaims {
  sub: string;
  jti: string;
  role: 'agent';
  exp: number;
}

/** `last_used_at` is written at a handshake only when older than this: a reconnect storm is not a write storm. */
const LAST_USED_RESOLUTION_SECONDS = 60;

/** the most handshakes' token records one statement checks */
const RECORD_BATCH_MAX = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Agent credentials: HS256 JWTs (only HS256 accepted, so `alg: none` and key confusion are refused) whose id is
 * recorded in agent_tokens, so deleting an agent or revoking a token takes effect at once. Each token names its
 * signing key in its `kid` header, so the signing secret can rotate (`SecretsService.agentTokenKeys`).
 */
@Injectable()
export class AgentTokenService {
  private readonly jwt = new JwtService();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly secrets: SecretsService,
  ) {}

  /**
   * Revokes every token of the agent that has not expired, inside the caller's transaction, and returns their ids
   * (those revoked before included: their sockets are closed again if an earlier announcement was lost).
   */
  async revokeAll(sql: Sql, agentId: string): Promise<string[]> {
    const revoked = await rows<{ id: string }>(
      sql,
      `UPDATE agent_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE agent_id = $1 AND expires_at > now() RETURNING id`,
      [agentId],
    );
    return revoked.map(({ id }) => id);
  }

  /** Revokes one token of the agent (again: no change). An id that is not one of the agent's tokens: NotFound. */
  async revoke(sql: Sql, agentId: string, tokenId: string): Promise<void> {
    const revoked =
      UUID.test(tokenId) &&
      (await one<{ id: string }>(
        sql,
        `UPDATE agent_tokens SET revoked_at = coalesce(revoked_at, now())
          WHERE id = $1 AND agent_id = $2 RETURNING id`,
        [tokenId, agentId],
      ));
    if (!revoked) throw new NotFoundError('Agent token', tokenId);
  }

  /** The agent's tokens that can still open a socket (neither revoked nor expired), newest first. */
  async list(agentId: string): Promise<AgentTokenInfo[]> {
    const live = await rows<{ id: string; created_at: Date; expires_at: Date; last_used_at: Date | null }>(
      this.dataSource.manager,
      `SELECT id, created_at, expires_at, last_used_at FROM agent_tokens
        WHERE agent_id = $1 AND revoked_at IS NULL AND expires_at > now()
        ORDER BY created_at DESC, id`,
      [agentId],
    );
    return live.map((token) => ({
      id: token.id,
      createdAt: token.created_at.toISOString(),
      expiresAt: token.expires_at.toISOString(),
      lastUsedAt: token.last_used_at?.toISOString() ?? null,
    }));
  }

  /** Of these token ids, the ones revoked since (a gateway's safety net for a revocation event it never got). */
  async revokedAmong(tokenIds: readonly string[]): Promise<string[]> {
    if (tokenIds.length === 0) return [];
    const revoked = await rows<{ id: string }>(
      this.dataSource.manager,
      `SELECT id FROM agent_tokens WHERE id = ANY($1::uuid[]) AND revoked_at IS NOT NULL`,
      [tokenIds],
    );
    return revoked.map(({ id }) => id);
  }

  async issue(
    agentId: string,
    ttlSeconds = this.config.agentTokenTtlSeconds,
  ): Promise<{ tokenId: string; token: string; expiresAt: string }> {
    const tokenId = randomUUID();
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await this.dataSource.query(`INSERT INTO agent_tokens (id, agent_id, expires_at) VALUES ($1, $2, $3)`, [
      tokenId,
      agentId,
      expiresAt,
    ]);
    const key = this.secrets.agentTokenKeys.current;
    const token = await this.jwt.signAsync(
      { sub: agentId, jti: tokenId, role: 'agent' },
      { ...this.secretOption(key.secret), keyid: key.kid, algorithm: 'HS256', expiresIn: ttlSeconds },
    );
    return { tokenId, token, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Checks a socket's token (signature, key, expiry, record) and notes its use. The signature is checked here, per
   * token; the records of the tokens checked together (a connect storm) are read in one statement (`checkRecords`).
   */
  async verify(token: unknown): Promise<AgentPrincipal> {
    if (typeof token !== 'string' || token.length === 0)
      throw new InvalidAgentToken('missing token: pass auth: { token }');
    const secret = this.secrets.agentTokenKeys.secretFor(this.keyIdOf(token));
    if (secret === undefined) throw new InvalidAgentToken('invalid token: unknown signing key');
    let claims: AgentClaims;
    try {
      claims = await this.jwt.verifyAsync<AgentClaims>(token, {
        ...this.secretOption(secret),
        algorithms: ['HS256'],
      });
    } catch (error) {
      const expired = error instanceof Error && error.name === 'TokenExpiredError';
      throw new InvalidAgentToken(expired ? 'token expired' : 'invalid token');
    }
    if (
      claims.role !== 'agent' ||
      !claims.sub ||
      !claims.jti ||
      !UUID.test(claims.jti) ||
      !UUID.test(claims.sub)
    )
      throw new InvalidAgentToken('invalid token');
    return this.records.submit({
      agentId: claims.sub,
      tokenId: claims.jti,
      expiresAt: new Date(claims.exp * 1000),
    });
  }

  /** the token records of concurrent handshakes (a connect storm), checked together: one statement per batch */
  private readonly records = new StatementBatcher<AgentPrincipal, AgentPrincipal>(
    (principals) => this.checkRecords(principals),
    RECORD_BATCH_MAX,
  );

  /** statements run to check token records since start (one per batch): what the connect-storm test counts */
  get recordBatches(): number {
    return this.records.batches;
  }

  /**
   * One round trip for a batch of signed-and-unexpired tokens: each record's state, and its last use noted when
   * older than the resolution. Each token gets its own answer: its principal, or the refusal of that token alone
   * (unknown, revoked, agent removed). The rows are matched by position, so a token sent twice is answered twice.
   */
  private async checkRecords(principals: readonly AgentPrincipal[]): Promise<BatchResult<AgentPrincipal>[]> {
    const found = await retryDeadlock(() =>
      rows<{ n: number; revoked_at: Date | null; deleted_at: Date | null }>(
        this.dataSource.manager,
        `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS i(token_id, agent_id, n)
         ), token AS (
           SELECT i.n, t.id, t.revoked_at, t.last_used_at, a.deleted_at
             FROM input i JOIN agent_tokens t ON t.id = i.token_id AND t.agent_id = i.agent_id
             JOIN agents a ON a.id = t.agent_id
         ), used AS (
           UPDATE agent_tokens SET last_used_at = now()
            WHERE id IN (SELECT id FROM token
                          WHERE revoked_at IS NULL AND deleted_at IS NULL
                            AND (last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_RESOLUTION_SECONDS} seconds'))
         )
         SELECT n::int AS n, revoked_at, deleted_at FROM token`,
        [principals.map((p) => p.tokenId), principals.map((p) => p.agentId)],
      ),
    );
    const byPosition = new Map(found.map((row) => [row.n, row]));
    return principals.map((principal, index) => {
      const record = byPosition.get(index + 1);
      if (!record) return new InvalidAgentToken('unknown token');
      if (record.deleted_at) return new InvalidAgentToken('agent no longer exists');
      if (record.revoked_at) return new InvalidAgentToken('token revoked');
      return principal;
    });
  }

  /**
   * The agent a token was signed for, when it is one of ours and not expired (signature and expiry only: no record
   * read, no use noted). Lets another surface tell an agent's credential from a wrong one (403, not 401).
   */
  async agentIdOf(token: string): Promise<string | undefined> {
    try {
      const secret = this.secrets.agentTokenKeys.secretFor(this.keyIdOf(token));
      if (secret === undefined) return undefined;
      const claims = await this.jwt.verifyAsync<AgentClaims>(token, {
        ...this.secretOption(secret),
        algorithms: ['HS256'],
      });
      return claims.role === 'agent' && typeof claims.sub === 'string' && UUID.test(claims.sub)
        ? claims.sub
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** each signing secret's key object, made once (`secretOption`) */
  private readonly keys = new Map<string, KeyObject>();

  /**
   * The `secret` option for @nestjs/jwt, as the secret's KeyObject, made once. jsonwebtoken turns a string secret
   * into a KeyObject at every call, trying it as a public key first (a parse that throws): 1.2 ms of CPU per socket
   * handshake, 16% of the gateway's in the connect-storm profile (bench/README.md). @nestjs/jwt types `secret` as a
   * string or Buffer but hands it to jsonwebtoken as it is, which takes a KeyObject as well.
   */
  private secretOption(secret: string): { secret: string } {
    let key = this.keys.get(secret);
    if (!key) {
      if (this.keys.size >= 8) this.keys.clear(); // rotations: a handful over a process's life
      key = createSecretKey(Buffer.from(secret, 'utf8'));
      this.keys.set(secret, key);
    }
    return { secret: key as unknown as string };
  }

  /** The `kid` of the token's header (undefined when it has none); a token that does not decode is refused. */
  private keyIdOf(token: string): unknown {
    let decoded: unknown;
    try {
      decoded = this.jwt.decode(token, { complete: true });
    } catch {
      decoded = null;
    }
    const header = (decoded as { header?: unknown } | null)?.header;
    if (!header || typeof header !== 'object') throw new InvalidAgentToken('invalid token');
    return (header as { kid?: unknown }).kid;
  }
}
