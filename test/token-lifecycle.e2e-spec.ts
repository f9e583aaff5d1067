import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  type AdminClient,
  AgentClient,
  type IssuedAgentToken,
  type Tether,
  type TetherAppProcess,
  queryDatabase,
  startTether,
  waitFor,
} from '@tether/testing';

const REVOKED_WITHIN_MS = 1_000;

/** Resolves with how long after `since` the client's connection was closed, or rejects if it still is open then. */
async function closedWithin(client: AgentClient, since: number, ms: number): Promise<number> {
  const outcome = await Promise.race([
    client.closed.then((reason) => ({ reason, at: Date.now() })),
    new Promise<undefined>((resolve) =>
      setTimeout(() => resolve(undefined), Math.max(0, since + ms - Date.now())),
    ),
  ]);
  if (!outcome) throw new Error(`${client.agentId}'s socket was still open ${ms} ms after the revocation`);
  expect(outcome.reason).toBe('io server disconnect');
  return outcome.at - since;
}

/**
 * Agent tokens can be listed and revoked, one or all. A revoked token opens no socket, and the sockets it opened
 * are closed within a second on every gateway of a cluster (two gateway processes here), while the agent's other
 * tokens keep working.
 */
describe('agent token lifecycle (two gateways)', () => {
  let tether: Tether;
  let admin: AdminClient;
  let gateways: [string, string];
  const clients: AgentClient[] = [];

  beforeAll(async () => {
    tether = await startTether({ apps: ['admin', 'gateway'] });
    const second: TetherAppProcess = await tether.startApp('gateway');
    gateways = [tether.urls.gateway, second.url];
    admin = tether.admin();
  }, 120_000);
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(() => tether?.stop());

  async function newAgent(): Promise<string> {
    return (await admin.createAgent({ name: 'Token Agent', lines: ['sales'] })).id;
  }

  function socket(gateway: 0 | 1, token: IssuedAgentToken): AgentClient {
    const client = new AgentClient(
      gateways[gateway],
      token.token,
      `${token.agentId} (token ${token.tokenId})`,
    );
    clients.push(client);
    return client;
  }

  it('lists the live tokens, newest first, with their last use: ids and times, never a token', async () => {
    const agentId = await newAgent();
    const issued: IssuedAgentToken[] = [];
    for (let i = 0; i < 3; i++) issued.push(await admin.issueAgentToken(agentId));

    const before = await admin.listTokens(agentId);
    expect(before.map((t) => t.id)).toEqual(issued.map((t) => t.tokenId).reverse());
    for (const token of before) {
      expect(Object.keys(token).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt']);
      expect(token.lastUsedAt).toBeNull();
      expect(Date.parse(token.expiresAt)).toBeGreaterThan(Date.parse(token.createdAt));
    }
    expect(before.find((t) => t.id === issued[0].tokenId)?.expiresAt).toBe(issued[0].expiresAt);

    const connectedAt = Date.now();
    await socket(1, issued[1]).connect();
    const after = await admin.listTokens(agentId);
    const used = after.find((t) => t.id === issued[1].tokenId)!;
    expect(Date.parse(used.lastUsedAt!)).toBeGreaterThanOrEqual(connectedAt - 1_000);
    expect(after.filter((t) => t.id !== issued[1].tokenId).map((t) => t.lastUsedAt)).toEqual([null, null]);

    const raw = await admin.request('GET', `/v1/agents/${agentId}/tokens`);
    expect(raw.status).toBe(200);
    for (const { token } of issued) expect(raw.text).not.toContain(token.split('.')[2]);
  });

  it('revoking a token closes its sockets on both gateways within 1 s and refuses it at the handshake; the agent’s other tokens stay connected', async () => {
    const agentId = await newAgent();
    const [revoked, kept, keptToo] = [
      await admin.issueAgentToken(agentId),
      await admin.issueAgentToken(agentId),
      await admin.issueAgentToken(agentId),
    ];
    const onFirst = socket(0, revoked);
    const onSecond = socket(1, revoked);
    const controlSecond = socket(1, kept);
    const controlFirst = socket(0, keptToo);
    for (const client of [onFirst, onSecond, controlSecond, controlFirst]) await client.connect();

    const at = Date.now();
    await admin.revokeToken(agentId, revoked.tokenId);
    const delays = await Promise.all([
      closedWithin(onFirst, at, REVOKED_WITHIN_MS),
      closedWithin(onSecond, at, REVOKED_WITHIN_MS),
    ]);
    expect(Math.max(...delays)).toBeLessThan(REVOKED_WITHIN_MS);

    // the positive control: the same agent's other tokens, on both gateways, were not touched
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const client of [controlSecond, controlFirst]) {
      expect(client.connected).toBe(true);
      expect(await client.setStatus('available')).toMatchObject({ ok: true });
    }

    for (const gateway of [0, 1] as const)
      await expect(socket(gateway, revoked).connect()).rejects.toThrow(/token revoked/);
    expect((await admin.listTokens(agentId)).map((t) => t.id).sort()).toEqual(
      [kept.tokenId, keptToo.tokenId].sort(),
    );
    // revoking again changes nothing and still answers 204
    await admin.revokeToken(agentId, revoked.tokenId);
    expect(controlSecond.connected && controlFirst.connected).toBe(true);
  });

  it('revoking every token closes all the agent’s sockets within 1 s; another agent’s stay, and a new token works', async () => {
    const agentId = await newAgent();
    const otherId = await newAgent();
    const tokens = [await admin.issueAgentToken(agentId), await admin.issueAgentToken(agentId)];
    const other = await admin.issueAgentToken(otherId);
    const sockets = [socket(0, tokens[0]), socket(1, tokens[0]), socket(1, tokens[1])];
    const otherSocket = socket(1, other);
    for (const client of [...sockets, otherSocket]) await client.connect();

    const at = Date.now();
    await admin.revokeTokens(agentId);
    await Promise.all(sockets.map((client) => closedWithin(client, at, REVOKED_WITHIN_MS)));
    expect(await admin.listTokens(agentId)).toEqual([]);
    await expect(socket(0, tokens[1]).connect()).rejects.toThrow(/token revoked/);

    expect(otherSocket.connected).toBe(true);
    expect(await admin.listTokens(otherId)).toHaveLength(1);
    const fresh = await admin.issueAgentToken(agentId);
    await socket(0, fresh).connect();
  });

  it('a revocation whose announcement was lost still closes the socket, at the gateways’ periodic check', async () => {
    const agentId = await newAgent();
    const token = await admin.issueAgentToken(agentId);
    const control = await admin.issueAgentToken(agentId);
    const client = socket(1, token);
    const controlClient = socket(1, control);
    await client.connect();
    await controlClient.connect();
    // straight into the database: no event on the bus
    await queryDatabase(tether.databaseUrl, `UPDATE agent_tokens SET revoked_at = now() WHERE id = $1`, [
      token.tokenId,
    ]);
    await waitFor(() => !client.connected, {
      what: 'the socket of a token revoked behind the bus’s back to close (TETHER_AGENT_RESYNC_MS, 5 s)',
      timeoutMs: 8_000,
    });
    expect(controlClient.connected).toBe(true);
  });

  it('answers 404 for an unknown agent or token (another agent’s token included), and audits each revocation', async () => {
    const agentId = await newAgent();
    const otherId = await newAgent();
    const others = await admin.issueAgentToken(otherId);
    const unknownAgent = randomUUID();
    for (const [method, path] of [
      ['GET', `/v1/agents/${unknownAgent}/tokens`],
      ['DELETE', `/v1/agents/${unknownAgent}/tokens`],
      ['DELETE', `/v1/agents/${unknownAgent}/tokens/${others.tokenId}`],
      ['DELETE', `/v1/agents/${agentId}/tokens/${randomUUID()}`],
      ['DELETE', `/v1/agents/${agentId}/tokens/not-a-token-id`],
      ['DELETE', `/v1/agents/${agentId}/tokens/${others.tokenId}`],
    ] as const) {
      const response = await admin.request(method, path);
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    }
    // the other agent's token was not revoked through the wrong agent's path
    await socket(0, others).connect();

    const mine = await admin.issueAgentToken(agentId);
    await admin.revokeToken(agentId, mine.tokenId);
    await admin.revokeTokens(agentId);
    const audited = await queryDatabase<{ action: string; status: number }>(
      tether.databaseUrl,
      `SELECT action, status FROM audit_log WHERE target = $1 AND action LIKE 'DELETE %' ORDER BY id`,
      [agentId],
    );
    expect(audited).toEqual([
      { action: 'DELETE /v1/agents/:id/tokens/:tokenId', status: 404 },
      { action: 'DELETE /v1/agents/:id/tokens/:tokenId', status: 404 },
      { action: 'DELETE /v1/agents/:id/tokens/:tokenId', status: 404 },
      { action: 'DELETE /v1/agents/:id/tokens/:tokenId', status: 204 },
      { action: 'DELETE /v1/agents/:id/tokens', status: 204 },
    ]);
  });
});
