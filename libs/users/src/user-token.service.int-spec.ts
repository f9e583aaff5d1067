import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { LineDirectory } from '@tether/lines';
import { createDataSource, rows } from '@tether/persistence';
import { createSqlTestDatabase, SqlTestDatabase } from '@tether/testing';
import { UserRepository } from './user.repository';
import { PRINCIPAL_CACHE_MS, UserTokenService } from './user-token.service';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Users and their tokens against a real PostgreSQL: roles' shapes, hashing, the principal, revocation. */
describe('UserRepository and UserTokenService (real PostgreSQL)', () => {
  let db: SqlTestDatabase;
  let source: DataSource;
  let users: UserRepository;
  let tokens: UserTokenService;
  let n = 0;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    source = await createDataSource(db.url, 4).initialize();
    users = new UserRepository(source, new LineDirectory(source));
    tokens = new UserTokenService(source, users);
  }, 60_000);
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  const name = () => `User ${++n}`;

  it('a supervisor token is their principal: user:<id>, their lines', async () => {
    const user = await users.create({ name: name(), role: 'supervisor', lines: ['sales'] });
    const issued = await tokens.issue(user.id);
    expect(issued.token).toMatch(/^tu_[A-Za-z0-9_-]{43}$/);
    expect(await tokens.principalOf(issued.token)).toEqual({
      actor: `user:${user.id}`,
      role: 'supervisor',
      lines: ['sales'],
      userId: user.id,
    });
    // One character changed (never to itself: a token that already ends in 'A' must still change).
    const altered = `${issued.token.slice(0, -1)}${issued.token.endsWith('A') ? 'B' : 'A'}`;
    expect(altered).not.toBe(issued.token);
    expect(await tokens.principalOf(altered)).toBeUndefined();
    expect(await tokens.principalOf('not a token')).toBeUndefined();
  });

  it('keeps only the SHA-256 of a token, and notes its last use', async () => {
    const user = await users.create({ name: name(), role: 'admin' });
    const issued = await tokens.issue(user.id);
    const stored = await rows<{ hash: string }>(
      source.manager,
      `SELECT encode(token_hash, 'hex') AS hash FROM user_tokens WHERE id = $1`,
      [issued.tokenId],
    );
    expect(stored[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(issued.token.slice(3));
    expect((await tokens.list(user.id))[0].lastUsedAt).toBeNull();
    expect(await tokens.principalOf(issued.token)).toMatchObject({ role: 'admin', lines: 'all' });
    expect((await tokens.list(user.id))[0].lastUsedAt).toEqual(expect.any(String));
  });

  it("an agent user's lines are their agent's; a removed agent's user has no principal", async () => {
    const agentId = await db.fixtures.agent({ lines: ['service'] });
    const user = await users.create({ name: name(), role: 'agent', agentId });
    const { token } = await tokens.issue(user.id);
    expect(await tokens.principalOf(token)).toMatchObject({ role: 'agent', lines: ['service'], agentId });
    await source.query(`UPDATE agents SET deleted_at = now() WHERE id = $1`, [agentId]);
    await sleep(PRINCIPAL_CACHE_MS);
    expect(await tokens.principalOf(token)).toBeUndefined();
  });

  it('a revoked token, a changed role and a deleted user take effect within the cache time', async () => {
    const user = await users.create({ name: name(), role: 'supervisor', lines: ['sales'] });
    const first = await tokens.issue(user.id);
    const second = await tokens.issue(user.id);
    expect(await tokens.principalOf(first.token)).toBeDefined();
    await tokens.revoke(user.id, first.tokenId);
    // the process that revoked forgets at once
    expect(await tokens.principalOf(first.token)).toBeUndefined();
    expect((await tokens.list(user.id)).map((t) => t.id)).toEqual([second.tokenId]);

    // a change made elsewhere (another process): seen after the cache time
    await source.query(`UPDATE users SET lines = '{presales}' WHERE id = $1`, [user.id]);
    await sleep(PRINCIPAL_CACHE_MS);
    expect(await tokens.principalOf(second.token)).toMatchObject({ lines: ['presales'] });
    await source.query(`DELETE FROM users WHERE id = $1`, [user.id]);
    await sleep(PRINCIPAL_CACHE_MS);
    expect(await tokens.principalOf(second.token)).toBeUndefined();
  });

  it('an expired token has no principal', async () => {
    const user = await users.create({ name: name(), role: 'admin' });
    const issued = await tokens.issue(user.id, 60);
    await source.query(`UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      issued.tokenId,
    ]);
    expect(await tokens.principalOf(issued.token)).toBeUndefined();
    expect(await tokens.list(user.id)).toEqual([]);
  });

  it("checks each role's shape, naming the field; a name or an agent taken twice is a conflict", async () => {
    await expect(users.create({ name: name(), role: 'supervisor' })).rejects.toThrow(/^lines/);
    await expect(users.create({ name: name(), role: 'supervisor', lines: ['nowhere'] })).rejects.toThrow(
      /^lines/,
    );
    await expect(users.create({ name: name(), role: 'agent' })).rejects.toThrow(/^agentId/);
    const agentId = await db.fixtures.agent({ lines: ['sales'] });
    await users.create({ name: name(), role: 'agent', agentId });
    await expect(users.create({ name: name(), role: 'agent', agentId })).rejects.toMatchObject({
      kind: 'conflict',
    });
    const taken = await users.create({ name: name(), role: 'admin' });
    await expect(users.create({ name: taken.name.toLowerCase(), role: 'admin' })).rejects.toMatchObject({
      kind: 'conflict',
    });
    // a new role drops what only the old one had
    const supervisor = await users.create({ name: name(), role: 'supervisor', lines: ['sales'] });
    expect(await users.update(supervisor.id, { role: 'admin' })).toMatchObject({ role: 'admin', lines: [] });
    await expect(tokens.issue(supervisor.id, 10)).rejects.toThrow(/ttlSeconds/);
  });
});
