import { expect } from '@jest/globals';
import { io } from 'socket.io-client';
import {
  type AdminClient,
  type DatabasePool,
  type Tether,
  TestFloor,
  openDatabasePool,
  startTether,
  uniquePhone,
  waitFor,
} from '@tether/testing';

interface UserView {
  id: string;
  name: string;
  role: string;
  lines: string[];
  agentId: string | null;
}
interface IssuedToken {
  userId: string;
  tokenId: string;
  token: string;
  expiresAt: string;
}

const REPORT = '/v1/reports/lines?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&bucket=day';

/**
 * Named users and roles through the public surfaces: user CRUD with field errors, tokens hashed and revocable
 * (refused within a second), role checks on every route (an agent token, an agent user, a supervisor, with the
 * admin as the control on the same routes), a supervisor's line scope, the audit log naming the user, and the
 * supervisors' socket taking supervisor user tokens only.
 */
describe('users and roles', () => {
  let tether: Tether;
  let floor: TestFloor;
  let admin: AdminClient;
  let db: DatabasePool;
  let names = 0;

  beforeAll(async () => {
    // generous: on a loaded machine the standalone process takes longer than the default 30 s to answer /health
    tether = await startTether({ startTimeoutMs: 120_000 });
    floor = new TestFloor(tether);
    admin = tether.admin();
    db = openDatabasePool(tether.databaseUrl);
  }, 150_000);
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await db?.close();
    await tether?.stop();
  });

  async function createUser(body: Record<string, unknown>): Promise<UserView> {
    const response = await admin.request<UserView>('POST', '/v1/users', { name: `User ${++names}`, ...body });
    expect(response.status).toBe(201);
    return response.body;
  }

  async function tokenFor(user: UserView): Promise<IssuedToken> {
    const response = await admin.request<IssuedToken>('POST', `/v1/users/${user.id}/tokens`);
    expect(response.status).toBe(201);
    return response.body;
  }

  async function supervisorOf(lines: string[]): Promise<{ user: UserView; token: string }> {
    const user = await createUser({ role: 'supervisor', lines });
    return { user, token: (await tokenFor(user)).token };
  }

  const as = (token: string, method: string, path: string, body?: unknown) =>
    admin.request<Record<string, unknown>>(method, path, body, { token });

  /** A contact on `line` answered and completed as a follow-up: its contact id and the case it opened. */
  async function caseOn(line: 'sales' | 'service'): Promise<{ contactId: string; caseId: string }> {
    const agent = await floor.agent({ lines: [line] });
    const call = await floor.call(line, { from: uniquePhone() });
    const offer = await agent.nextOffer();
    expect(await agent.accept(offer.offerId)).toMatchObject({ ok: true });
    const ack = await agent.complete(call.contactId, 'follow_up', 'to call back', { subject: `on ${line}` });
    if (!ack.ok || !ack.caseId) throw new Error(`complete refused: ${JSON.stringify(ack)}`);
    return { contactId: call.contactId, caseId: ack.caseId };
  }

  describe('user CRUD', () => {
    it.each([
      ['no name', { role: 'admin', name: undefined }, 'name'],
      ['an unknown role', { role: 'owner' }, 'role'],
      ['a supervisor without lines', { role: 'supervisor' }, 'lines'],
      ['a supervisor on a line nobody defined', { role: 'supervisor', lines: ['nowhere'] }, 'lines'],
      ['an admin with lines', { role: 'admin', lines: ['sales'] }, 'lines'],
      ['an agent user without an agent', { role: 'agent' }, 'agentId'],
      [
        'an agent user of no agent',
        { role: 'agent', agentId: '00000000-0000-4000-8000-000000000000' },
        'agentId',
      ],
      [
        'a supervisor linked to an agent',
        { role: 'supervisor', lines: ['sales'], agentId: '00000000-0000-4000-8000-000000000000' },
        'agentId',
      ],
      ['an unknown field', { role: 'admin', password: 'x' }, 'password'],
    ])('%s: 400 naming %s', async (_label, body, field) => {
      const response = await admin.request('POST', '/v1/users', { name: `Bad ${++names}`, ...body });
      expect(response.status).toBe(400);
      expect(response.text).toContain(field);
    });

    it('creates, reads, pages, changes and deletes users; a taken name or agent is 409; unknown ids 404', async () => {
      const agent = await admin.createAgent({ name: 'Linked Agent', lines: ['sales'] });
      const supervisor = await createUser({ role: 'supervisor', lines: ['sales', 'sales'] });
      expect(supervisor).toMatchObject({ role: 'supervisor', lines: ['sales'], agentId: null });
      const agentUser = await createUser({ role: 'agent', agentId: agent.id });
      expect(agentUser).toMatchObject({ role: 'agent', lines: [], agentId: agent.id });

      expect(
        (await admin.request('POST', '/v1/users', { name: supervisor.name.toUpperCase(), role: 'admin' }))
          .status,
      ).toBe(409);
      const twice = await admin.request('POST', '/v1/users', {
        name: 'Second link',
        role: 'agent',
        agentId: agent.id,
      });
      expect(twice.status).toBe(409);
      expect(twice.text).toContain('agentId');

      expect((await admin.request<UserView>('GET', `/v1/users/${supervisor.id}`)).body).toEqual(supervisor);
      const first = await admin.request<UserView[]>('GET', '/v1/users?limit=1');
      expect(first.status).toBe(200);
      expect(first.body).toHaveLength(1);
      const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.get('link')))?.[1];
      expect(next).toMatch(/^\/v1\/users\?limit=1&cursor=/);
      const second = await admin.request<UserView[]>('GET', next!);
      expect(second.body[0].id).not.toBe(first.body[0].id);
      expect((await admin.request('GET', '/v1/users?limit=0')).text).toContain('limit');

      const moved = await admin.request<UserView>('PATCH', `/v1/users/${supervisor.id}`, {
        lines: ['sales', 'service'],
      });
      expect(moved.body).toMatchObject({ lines: ['sales', 'service'] });
      const noAgent = await admin.request('PATCH', `/v1/users/${supervisor.id}`, { role: 'agent' });
      expect(noAgent.status).toBe(400);
      expect(noAgent.text).toContain('agentId');
      const promoted = await admin.request<UserView>('PATCH', `/v1/users/${supervisor.id}`, {
        role: 'admin',
      });
      expect(promoted.body).toMatchObject({ role: 'admin', lines: [] });

      expect((await admin.request('DELETE', `/v1/users/${supervisor.id}`)).status).toBe(204);
      expect((await admin.request('GET', `/v1/users/${supervisor.id}`)).status).toBe(404);
      expect((await admin.request('DELETE', `/v1/users/${supervisor.id}`)).status).toBe(404);
      expect((await admin.request('PATCH', `/v1/users/not-an-id`, { name: 'x' })).status).toBe(404);
    });
  });

  describe('tokens', () => {
    it('are listed without the secret, kept hashed, and refused within a second of revocation', async () => {
      const { user, token } = await supervisorOf(['sales']);
      const other = await tokenFor(user);
      const listed = await admin.request<{ id: string; lastUsedAt: string | null }[]>(
        'GET',
        `/v1/users/${user.id}/tokens`,
      );
      expect(listed.body.map((t) => Object.keys(t).sort())).toEqual([
        ['createdAt', 'expiresAt', 'id', 'lastUsedAt'],
        ['createdAt', 'expiresAt', 'id', 'lastUsedAt'],
      ]);
      expect(listed.text).not.toContain(token);
      const stored = await db.query<{ hash: string }>(
        `SELECT encode(token_hash, 'hex') AS hash FROM user_tokens WHERE user_id = $1`,
        [user.id],
      );
      expect(JSON.stringify(stored)).not.toContain(token.slice(3));

      expect((await as(token, 'GET', `/v1/lines/sales/routing`)).status).toBe(200);
      expect((await as(other.token, 'GET', `/v1/lines/sales/routing`)).status).toBe(200);
      const firstTokenId = listed.body.find((t) => t.id !== other.tokenId)!.id;
      expect((await admin.request('DELETE', `/v1/users/${user.id}/tokens/${firstTokenId}`)).status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const revoked = await as(token, 'GET', `/v1/lines/sales/routing`);
      expect(revoked.status).toBe(401);
      expect((await as(other.token, 'GET', `/v1/lines/sales/routing`)).status).toBe(200);
      expect((await admin.request('DELETE', `/v1/users/${user.id}/tokens/${firstTokenId}`)).status).toBe(204);
      expect(
        (await admin.request('DELETE', `/v1/users/${user.id}/tokens/00000000-0000-4000-8000-000000000000`))
          .status,
      ).toBe(404);

      expect((await admin.request('DELETE', `/v1/users/${user.id}/tokens`)).status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect((await as(other.token, 'GET', `/v1/lines/sales/routing`)).status).toBe(401);
      expect((await admin.request('GET', `/v1/users/${user.id}/tokens`)).body).toEqual([]);
    });

    it("a deleted user's token is refused within a second; a token's ttl is checked", async () => {
      const { user, token } = await supervisorOf(['sales']);
      expect((await as(token, 'GET', REPORT)).status).toBe(200);
      expect((await admin.request('DELETE', `/v1/users/${user.id}`)).status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect((await as(token, 'GET', REPORT)).status).toBe(401);
      const other = await createUser({ role: 'admin' });
      const bad = await admin.request('POST', `/v1/users/${other.id}/tokens?ttlSeconds=5`);
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('ttlSeconds');
    });
  });

  describe('roles', () => {
    const ADMIN_ROUTES: [string, string][] = [
      ['GET', '/v1/agents'],
      ['GET', '/v1/users'],
      ['POST', '/v1/customers'],
      ['POST', '/v1/lines/sales/routing/rollback'],
    ];
    const SUPERVISOR_ROUTES: [string, string][] = [
      ['GET', '/v1/lines/sales/routing'],
      ['GET', '/v1/cases?line=sales'],
      ['GET', '/v1/callbacks?line=sales'],
      ['GET', REPORT],
    ];

    it('an agent token is refused (403) on admin and supervisor routes, where the admin token is let in', async () => {
      const agent = await admin.createAgent({ name: 'Token Agent', lines: ['sales'] });
      const agentToken = await admin.issueToken(agent.id);
      for (const [method, path] of SUPERVISOR_ROUTES) {
        expect([method, path, (await admin.request(method, path)).status]).toEqual([method, path, 200]);
        const refused = await as(agentToken, method, path);
        expect([method, path, refused.status]).toEqual([method, path, 403]);
        expect(refused.text).toContain('/agents socket only');
      }
      for (const [method, path] of ADMIN_ROUTES) {
        const body = method === 'GET' ? undefined : {};
        expect([method, path, (await as(agentToken, method, path, body)).status]).toEqual([
          method,
          path,
          403,
        ]);
      }
      expect((await admin.request('GET', '/v1/agents')).status).toBe(200);
    });

    it('an agent user is refused (403) on admin and supervisor routes; a supervisor on admin routes only', async () => {
      const agent = await admin.createAgent({ name: 'User Agent', lines: ['sales'] });
      const agentUser = await createUser({ role: 'agent', agentId: agent.id });
      const agentUserToken = (await tokenFor(agentUser)).token;
      const { token: supervisor } = await supervisorOf(['sales']);
      const adminUser = await createUser({ role: 'admin' });
      const adminUserToken = (await tokenFor(adminUser)).token;
      for (const [method, path] of SUPERVISOR_ROUTES) {
        expect([path, (await as(agentUserToken, method, path)).status]).toEqual([path, 403]);
        expect([path, (await as(supervisor, method, path)).status]).toEqual([path, 200]);
        expect([path, (await as(adminUserToken, method, path)).status]).toEqual([path, 200]);
      }
      for (const [method, path] of ADMIN_ROUTES) {
        const body = method === 'GET' ? undefined : {};
        expect([path, (await as(agentUserToken, method, path, body)).status]).toEqual([path, 403]);
        expect([path, (await as(supervisor, method, path, body)).status]).toEqual([path, 403]);
        // the admin user gets past the role check: 200, or 400 for the empty body
        expect([path, [200, 400].includes((await as(adminUserToken, method, path, body)).status)]).toEqual([
          path,
          true,
        ]);
      }
      // managing users is an admin's: a supervisor cannot make themselves one
      expect((await as(supervisor, 'POST', '/v1/users', { name: 'Escalated', role: 'admin' })).status).toBe(
        403,
      );
      expect(
        (await as(adminUserToken, 'POST', '/v1/users', { name: `Made by a user ${++names}`, role: 'admin' }))
          .status,
      ).toBe(201);
    });

    it('a wrong or missing token is 401', async () => {
      expect((await as(`tu_${'x'.repeat(43)}`, 'GET', REPORT)).status).toBe(401);
      expect((await admin.request('GET', REPORT, undefined, { token: null })).status).toBe(401);
    });
  });

  describe('line scope', () => {
    it('a supervisor of sales sees and acts on sales, and is refused (403) on service', async () => {
      const sales = await caseOn('sales');
      const service = await caseOn('service');
      const { user, token } = await supervisorOf(['sales']);
      const salesAgent = await admin.createAgent({ name: 'Sales Owner', lines: ['sales'] });
      const serviceAgent = await admin.createAgent({ name: 'Service Owner', lines: ['service'] });

      // rules
      expect((await as(token, 'GET', '/v1/lines/sales/routing')).status).toBe(200);
      expect((await as(token, 'GET', '/v1/lines/service/routing')).status).toBe(403);
      expect((await as(token, 'GET', '/v1/lines/service/routing/versions')).status).toBe(403);
      expect(
        (await as(token, 'POST', '/v1/lines/sales/routing/simulate', { from: uniquePhone() })).status,
      ).toBe(200);
      expect(
        (await as(token, 'POST', '/v1/lines/service/routing/simulate', { from: uniquePhone() })).status,
      ).toBe(403);
      // contacts
      expect((await as(token, 'GET', `/v1/contacts/${sales.contactId}/trace`)).status).toBe(200);
      expect((await as(token, 'GET', `/v1/contacts/${service.contactId}/trace`)).status).toBe(403);
      // cases: read, list, hand over
      expect((await as(token, 'GET', `/v1/cases/${sales.caseId}`)).status).toBe(200);
      expect((await as(token, 'GET', `/v1/cases/${service.caseId}`)).status).toBe(403);
      const listed = await as(token, 'GET', '/v1/cases');
      expect(listed.status).toBe(200);
      const ids = (listed.body as unknown as { id: string; line: string }[]).map((c) => c.id);
      expect(ids).toContain(sales.caseId);
      expect(ids).not.toContain(service.caseId);
      expect((await as(token, 'GET', '/v1/cases?line=service')).status).toBe(403);
      expect(
        (await as(token, 'PATCH', `/v1/cases/${service.caseId}`, { ownerId: serviceAgent.id })).status,
      ).toBe(403);
      expect(
        (await as(token, 'PATCH', `/v1/cases/${sales.caseId}`, { ownerId: serviceAgent.id })).status,
      ).toBe(403);
      const handed = await as(token, 'PATCH', `/v1/cases/${sales.caseId}`, { ownerId: salesAgent.id });
      expect(handed.status).toBe(200);
      expect(handed.body).toMatchObject({ owner: { id: salesAgent.id } });
      // agents: one of theirs
      expect((await as(token, 'GET', `/v1/agents/${salesAgent.id}`)).status).toBe(200);
      expect((await as(token, 'GET', `/v1/agents/${serviceAgent.id}`)).status).toBe(403);
      // reports, callbacks
      expect((await as(token, 'GET', `${REPORT}&line=sales`)).status).toBe(200);
      expect((await as(token, 'GET', `${REPORT}&line=service`)).status).toBe(403);
      expect((await as(token, 'GET', '/v1/callbacks?line=service')).status).toBe(403);
      // incidents
      const incident = async (line: string) =>
        (
          await admin.request<{ id: string }>('POST', '/v1/incidents', {
            title: `Outage on ${line}`,
            announcement: 'We know.',
            affected: { lines: [line] },
          })
        ).body.id;
      const onSales = await incident('sales');
      const onService = await incident('service');
      expect((await as(token, 'GET', `/v1/incidents/${onSales}`)).status).toBe(200);
      expect((await as(token, 'GET', `/v1/incidents/${onService}`)).status).toBe(403);
      expect((await as(token, 'GET', '/v1/incidents?line=service')).status).toBe(403);
      const incidents = (await as(token, 'GET', '/v1/incidents')).body as unknown as { id: string }[];
      expect(incidents.map((i) => i.id)).toContain(onSales);
      expect(incidents.map((i) => i.id)).not.toContain(onService);
      for (const id of [onSales, onService])
        expect((await admin.request('PATCH', `/v1/incidents/${id}`, { status: 'resolved' })).status).toBe(
          200,
        );

      // the audit log names the user: the handover and the refusals
      const rows = await waitFor(
        async () => {
          const found = await db.query<{ action: string; status: number; target: string | null }>(
            `SELECT action, status, target FROM audit_log WHERE actor = $1 ORDER BY id`,
            [`user:${user.id}`],
          );
          return found.some((r) => r.status === 403) && found.some((r) => r.status === 200)
            ? found
            : undefined;
        },
        { what: 'audit rows naming the user' },
      );
      expect(rows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'PATCH /v1/cases/:id', status: 200, target: sales.caseId }),
          expect.objectContaining({ status: 403 }),
        ]),
      );
    });

    it('a supervisor of several lines names the line of a list (400 naming line), one of theirs', async () => {
      const { token } = await supervisorOf(['sales', 'presales']);
      const unnamed = await as(token, 'GET', '/v1/cases');
      expect(unnamed.status).toBe(400);
      expect(unnamed.text).toContain('line');
      expect((await as(token, 'GET', '/v1/cases?line=presales')).status).toBe(200);
      expect((await as(token, 'GET', '/v1/cases?line=service')).status).toBe(403);
    });
  });

  describe('the supervisors socket', () => {
    function connect(
      token: string,
    ): Promise<{ ok: true; agents: unknown[] } | { ok: false; message: string }> {
      const socket = io(`${tether.urls.gateway}/supervisors`, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
      });
      return new Promise<{ ok: true; agents: unknown[] } | { ok: false; message: string }>((resolve) => {
        socket.once('agents', (agents: unknown[]) => resolve({ ok: true, agents }));
        socket.once('connect_error', (error: Error) => resolve({ ok: false, message: error.message }));
      }).finally(() => socket.close());
    }

    it('takes a supervisor user token, refuses an agent user, an agent token and a revoked token', async () => {
      const { user, token } = await supervisorOf(['sales']);
      expect(await connect(token)).toMatchObject({ ok: true });
      expect(await connect(tether.adminToken)).toMatchObject({ ok: true });

      const agent = await admin.createAgent({ name: 'Socket Agent', lines: ['sales'] });
      const agentUser = await createUser({ role: 'agent', agentId: agent.id });
      expect(await connect((await tokenFor(agentUser)).token)).toEqual({
        ok: false,
        message: expect.stringContaining('forbidden'),
      });
      expect(await connect(await admin.issueToken(agent.id))).toEqual({
        ok: false,
        message: expect.stringContaining('forbidden'),
      });

      expect((await admin.request('DELETE', `/v1/users/${user.id}/tokens`)).status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await connect(token)).toEqual({ ok: false, message: expect.stringContaining('invalid token') });
    });
  });
});
