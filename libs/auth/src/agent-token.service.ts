import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { DomainError } from '@tether/errors';
import { one, Sql } from '@tether/persistence';
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

interface AgentClaims {
  sub: string;
  jti: string;
  role: 'agent';
  exp: number;
}

/**
 * Agent credentials: HS256 JWTs (only HS256 accepted, so `alg: none` and key confusion are refused) whose id is
 * recorded in agent_tokens, so deleting an agent or revoking a token takes effect at once.
 */
@Injectable()
export class AgentTokenService {
  private readonly jwt = new JwtService();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly secrets: SecretsService,
  ) {}

  /** Revokes every live token of the agent, inside the caller's transaction (the agent is being removed). */
  async revokeAll(sql: Sql, agentId: string): Promise<void> {
    await sql.query(`UPDATE agent_tokens SET revoked_at = now() WHERE agent_id = $1 AND revoked_at IS NULL`, [
      agentId,
    ]);
  }

  async issue(
    agentId: string,
    ttlSeconds = this.config.agentTokenTtlSeconds,
  ): Promise<{ token: string; expiresAt: string }> {
    const tokenId = randomUUID();
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await this.dataSource.query(`INSERT INTO agent_tokens (id, agent_id, expires_at) VALUES ($1, $2, $3)`, [
      tokenId,
      agentId,
      expiresAt,
    ]);
    const token = await this.jwt.signAsync(
      { sub: agentId, jti: tokenId, role: 'agent' },
      { secret: this.secrets.jwtSecret, algorithm: 'HS256', expiresIn: ttlSeconds },
    );
    return { token, expiresAt: expiresAt.toISOString() };
  }

  async verify(token: unknown): Promise<AgentPrincipal> {
    if (typeof token !== 'string' || token.length === 0)
      throw new InvalidAgentToken('missing token: pass auth: { token }');
    let claims: AgentClaims;
    try {
      claims = await this.jwt.verifyAsync<AgentClaims>(token, {
        secret: this.secrets.jwtSecret,
        algorithms: ['HS256'],
      });
    } catch (error) {
      const expired = error instanceof Error && error.name === 'TokenExpiredError';
      throw new InvalidAgentToken(expired ? 'token expired' : 'invalid token');
    }
    if (claims.role !== 'agent' || !claims.sub || !claims.jti) throw new InvalidAgentToken('invalid token');
    const record = await one<{ revoked_at: Date | null; deleted_at: Date | null }>(
      this.dataSource.manager,
      `SELECT t.revoked_at, a.deleted_at FROM agent_tokens t JOIN agents a ON a.id = t.agent_id WHERE t.id = $1 AND t.agent_id = $2`,
      [claims.jti, claims.sub],
    );
    if (!record) throw new InvalidAgentToken('unknown token');
    if (record.deleted_at) throw new InvalidAgentToken('agent no longer exists');
    if (record.revoked_at) throw new InvalidAgentToken('token revoked');
    return { agentId: claims.sub, tokenId: claims.jti, expiresAt: new Date(claims.exp * 1000) };
  }
}
