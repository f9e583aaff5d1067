import { expect } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { loadConfig } from '@tether/config';
import { createDataSource, rows } from '@tether/persistence';
import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';
import { agentTokenKeyId } from './agent-token-keys';
import { AgentTokenService } from './agent-token.service';
import { SecretsService } from './secrets.service';

const KEY_A = 'int-spec-agent-token-key-a-6e1f9b3d7a2c5e8b';
const KEY_B = 'int-spec-agent-token-key-b-2d8a4f7c1e9b3d6a';

function headerOf(token: string): { alg?: string; kid?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as {
    alg?: string;
    kid?: string;
  };
}

/** Agent tokens against a real PostgreSQL: key ids and rotation, the live list, last use, revocation. */
describe('AgentTokenService (real PostgreSQL)', () => {
  let db: SqlTestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    source = await createDataSource(db.url, 4).initialize();
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  /** A service as a process configured with these secrets would have it. */
  async function serviceWith(jwt: string, previous?: string): Promise<AgentTokenService> {
    const config = loadConfig({
      NODE_ENV: 'test',
      TETHER_ADMIN_TOKEN: 'int-spec-admin-token-0123',
      TETHER_WEBHOOK_SECRET: 'int-spec-webhook-secret-0123',
      TETHER_JWT_SECRET: jwt,
      ...(previous ? { TETHER_JWT_SECRET_PREVIOUS: previous } : {}),
    });
    const secrets = new SecretsService(source, config);
    await secrets.onModuleInit();
    return new AgentTokenService(source, config, secrets);
  }

  const agent = () => db.fixtures.agent({ connected: false });
  const lastUsed = async (tokenId: string) =>
    (
      await rows<{ last_used_at: Date | null }>(
        source.manager,
        `SELECT last_used_at FROM agent_tokens WHERE id = $1`,
        [tokenId],
      )
    )[0].last_used_at;

  describe('key ids and rotation', () => {
    it('signs with the current key and names it in the header', async () => {
      const tokens = await serviceWith(KEY_A);
      const agentId = await agent();
      const { token, tokenId } = await tokens.issue(agentId);
      expect(headerOf(token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: agentTokenKeyId(KEY_A) });
      expect(await tokens.verify(token)).toMatchObject({ agentId, tokenId });
    });

    it('after a rotation, accepts the previous key while it is set and refuses it once unset', async () => {
      const before = await serviceWith(KEY_A);
      const agentId = await agent();
      const { token: old } = await before.issue(agentId);
      const rotating = await serviceWith(KEY_B, KEY_A);
      const { token: fresh } = await rotating.issue(agentId);
      expect(headerOf(fresh).kid).toBe(agentTokenKeyId(KEY_B));
      expect(await rotating.verify(old)).toMatchObject({ agentId });
      expect(await rotating.verify(fresh)).toMatchObject({ agentId });
      const after = await serviceWith(KEY_B);
      await expect(after.verify(old)).rejects.toThrow('invalid token: unknown signing key');
      expect(await after.verify(fresh)).toMatchObject({ agentId });
    });

    it('a token without a kid (issued before key ids) is checked against the current key only', async () => {
      const tokens = await serviceWith(KEY_B, KEY_A);
      const agentId = await agent();
      const { tokenId } = await tokens.issue(agentId);
      const jwt = new JwtService();
      const legacy = (secret: string) =>
        jwt.signAsync(
          { sub: agentId, jti: tokenId, role: 'agent' },
          { secret, algorithm: 'HS256', expiresIn: 600 },
        );
      expect(headerOf(await legacy(KEY_B)).kid).toBeUndefined();
      expect(await tokens.verify(await legacy(KEY_B))).toMatchObject({ agentId, tokenId });
      await expect(tokens.verify(await legacy(KEY_A))).rejects.toThrow('invalid token');
    });
  });

  describe('last use', () => {
    it('is noted at a handshake, at most once a minute', async () => {
      const tokens = await serviceWith(KEY_A);
      const agentId = await agent();
      const { token, tokenId } = await tokens.issue(agentId);
      expect(await lastUsed(tokenId)).toBeNull();
      await tokens.verify(token);
      const first = await lastUsed(tokenId);
      expect(first).not.toBeNull();
      await tokens.verify(token);
      expect(await lastUsed(tokenId)).toEqual(first);
      await source.query(
        `UPDATE agent_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`,
        [tokenId],
      );
      const stale = await lastUsed(tokenId);
      await tokens.verify(token);
      expect((await lastUsed(tokenId))!.getTime()).toBeGreaterThan(stale!.getTime());
      expect((await tokens.list(agentId))[0].lastUsedAt).toBe((await lastUsed(tokenId))!.toISOString());
    });

    it('is not noted for a revoked token', async () => {
      const tokens = await serviceWith(KEY_A);
      const agentId = await agent();
      const { token, tokenId } = await tokens.issue(agentId);
      await tokens.revoke(source.manager, agentId, tokenId);
      await expect(tokens.verify(token)).rejects.toThrow('token revoked');
      expect(await lastUsed(tokenId)).toBeNull();
    });
  });

  describe('listing and revoking', () => {
    it('lists live tokens newest first; revoking one removes it from the list and refuses it', async () => {
      const tokens = await serviceWith(KEY_A);
      const agentId = await agent();
      const first = await tokens.issue(agentId);
      const second = await tokens.issue(agentId);
      const expired = await tokens.issue(agentId, 60);
      await source.query(`UPDATE agent_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        expired.tokenId,
      ]);
      expect((await tokens.list(agentId)).map((t) => t.id)).toEqual([second.tokenId, first.tokenId]);

      await tokens.revoke(source.manager, agentId, first.tokenId);
      await tokens.revoke(source.manager, agentId, first.tokenId); // again: no change, no error
      expect((await tokens.list(agentId)).map((t) => t.id)).toEqual([second.tokenId]);
      await expect(tokens.verify(first.token)).rejects.toThrow('token revoked');
      expect(await tokens.verify(second.token)).toMatchObject({ tokenId: second.tokenId });
      expect(await tokens.revokedAmong([first.tokenId, second.tokenId, randomUUID()])).toEqual([
        first.tokenId,
      ]);
    });

    it('refuses an id that is not one of the agent’s tokens', async () => {
      const tokens = await serviceWith(KEY_A);
      const agentId = await agent();
      const other = await tokens.issue(await agent());
      for (const tokenId of [randomUUID(), 'not-a-uuid', other.tokenId])
        await expect(tokens.revoke(source.manager, agentId, tokenId)).rejects.toMatchObject({
          kind: 'not_found',
        });
      expect(await tokens.verify(other.token)).toMatchObject({ tokenId: other.tokenId });
    });

    it('revokeAll revokes every unexpired token and returns their ids', async () => {
      const tokens = await serviceWith(KEY_A);
      const agentId = await agent();
      const issued = [await tokens.issue(agentId), await tokens.issue(agentId)];
      await tokens.revoke(source.manager, agentId, issued[0].tokenId);
      const revoked = await tokens.revokeAll(source.manager, agentId);
      expect(revoked.sort()).toEqual(issued.map((t) => t.tokenId).sort());
      expect(await tokens.list(agentId)).toEqual([]);
      for (const { token } of issued) await expect(tokens.verify(token)).rejects.toThrow('token revoked');
    });
  });

  describe('a connect storm: the records of concurrent handshakes in one statement', () => {
    it('checks N tokens in one statement; each handshake gets its own principal, a refused token is refused alone', async () => {
      const tokens = await serviceWith(KEY_A);
      const agents = [await agent(), await agent(), await agent(), await agent()];
      const issued = await Promise.all(agents.map((agentId) => tokens.issue(agentId)));
      const revoked = await tokens.issue(agents[1]);
      await tokens.revoke(source.manager, agents[1], revoked.tokenId);
      const removedAgent = await agent();
      const ofRemoved = await tokens.issue(removedAgent);
      await source.query(`UPDATE agents SET deleted_at = now() WHERE id = $1`, [removedAgent]);
      const forgotten = await tokens.issue(agents[2]);
      await source.query(`DELETE FROM agent_tokens WHERE id = $1`, [forgotten.tokenId]);

      const before = tokens.recordBatches;
      // the valid ones interleaved with the refused ones, and the first token twice (two tabs)
      const presented = [
        issued[0].token,
        revoked.token,
        issued[1].token,
        ofRemoved.token,
        issued[2].token,
        forgotten.token,
        issued[3].token,
        issued[0].token,
        'not.a.token', // refused before any statement: it has no record to read
      ];
      const settled = await Promise.allSettled(presented.map((token) => tokens.verify(token)));
      expect(tokens.recordBatches - before).toBe(1);
      const outcome = settled.map((s) =>
        s.status === 'fulfilled'
          ? { agentId: s.value.agentId, tokenId: s.value.tokenId }
          : (s.reason as Error).message,
      );
      expect(outcome).toEqual([
        { agentId: agents[0], tokenId: issued[0].tokenId },
        'token revoked',
        { agentId: agents[1], tokenId: issued[1].tokenId },
        'agent no longer exists',
        { agentId: agents[2], tokenId: issued[2].tokenId },
        'unknown token',
        { agentId: agents[3], tokenId: issued[3].tokenId },
        { agentId: agents[0], tokenId: issued[0].tokenId },
        'invalid token',
      ]);
      // use is noted for the accepted ones only
      for (const { tokenId } of issued) expect(await lastUsed(tokenId)).not.toBeNull();
      expect(await lastUsed(revoked.tokenId)).toBeNull();
      expect(await lastUsed(ofRemoved.tokenId)).toBeNull();
    });

    it('positive control: checks one after the other take one statement each', async () => {
      const tokens = await serviceWith(KEY_A);
      const { token } = await tokens.issue(await agent());
      const before = tokens.recordBatches;
      for (let i = 0; i < 3; i++) await tokens.verify(token);
      expect(tokens.recordBatches - before).toBe(3);
    });
  });
});
