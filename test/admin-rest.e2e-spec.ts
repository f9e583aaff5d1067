import { expect } from '@jest/globals';
import {
  type AdminClient,
  type AgentView,
  type ErrorBody,
  type RoutingRulesView,
  type Tether,
  startTether,
  uniquePhone,
} from '@tether/testing';

/** CONTRACT: the admin REST API (bearer auth, agents, customers, routing rules) and agent tokens. */
describe('admin REST', () => {
  let tether: Tether;
  let admin: AdminClient;

  beforeAll(async () => {
    tether = await startTether();
    admin = tether.admin();
  });
  afterAll(() => tether?.stop());

  const message = (body: unknown) => (body as ErrorBody).message;

  describe('authentication', () => {
    it.each([
      ['GET', '/v1/agents'],
      ['POST', '/v1/agents'],
      ['GET', '/v1/lines/sales/routing'],
      ['POST', '/v1/customers'],
    ])('%s %s is 401 without a token and with a wrong one', async (method, path) => {
      const body = method === 'POST' ? { name: 'x', lines: ['sales'] } : undefined;
      const missing = await admin.request(method, path, body, { token: null });
      expect(missing.status).toBe(401);
      expect(message(missing.body)).toMatch(/token/i);
      expect((await admin.request(method, path, body, { token: 'wrong-token-0123456789' })).status).toBe(401);
    });

    it('a non-bearer Authorization header is 401', async () => {
      const response = await fetch(`${tether.urls.admin}/v1/agents`, {
        headers: { authorization: `Basic ${tether.adminToken}` },
      });
      expect(response.status).toBe(401);
    });

    it('/health needs no token', async () => {
      expect((await fetch(`${tether.urls.admin}/health`)).status).toBe(200);
    });
  });

  describe('agents', () => {
    it('create, list, get, patch, delete', async () => {
      const created = await admin.request<AgentView>('POST', '/v1/agents', {
        name: 'Anna Petrova',
        lines: ['service', 'sales'],
        skills: { billing: 7 },
        capacity: { voice: 1, chat: 3 },
      });
      expect(created.status).toBe(201);
      const agent = created.body;
      expect(agent).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          name: 'Anna Petrova',
          skills: { billing: 7 },
          capacity: expect.objectContaining({ voice: 1, chat: 3 }),
        }),
      );
      expect([...agent.lines].sort()).toEqual(['sales', 'service']);
      expect(agent.presence.state).toBe('offline');

      const list = await admin.request<AgentView[]>('GET', '/v1/agents');
      expect(list.status).toBe(200);
      expect(list.body.map((a) => a.id)).toContain(agent.id);
      expect(await admin.getAgent(agent.id)).toEqual(
        expect.objectContaining({ id: agent.id, name: 'Anna Petrova' }),
      );

      const patched = await admin.patchAgent(agent.id, { name: 'Anna P.', skills: { billing: 8, tech: 2 } });
      expect(patched).toEqual(
        expect.objectContaining({ id: agent.id, name: 'Anna P.', skills: { billing: 8, tech: 2 } }),
      );
      expect([...patched.lines].sort()).toEqual(['sales', 'service']); // untouched fields stay
      expect((await admin.getAgent(agent.id)).name).toBe('Anna P.');

      expect((await admin.request('DELETE', `/v1/agents/${agent.id}`)).status).toBe(204);
      expect((await admin.request('GET', `/v1/agents/${agent.id}`)).status).toBe(404);
      expect((await admin.request('PATCH', `/v1/agents/${agent.id}`, { name: 'ghost' })).status).toBe(404);
      expect((await admin.request('DELETE', `/v1/agents/${agent.id}`)).status).toBe(404);
      expect((await admin.request<AgentView[]>('GET', '/v1/agents')).body.map((a) => a.id)).not.toContain(
        agent.id,
      );
    });

    it.each([
      ['an unknown agent id', '00000000-0000-4000-8000-000000000000'],
      ['a malformed agent id', 'not-an-id'],
    ])('%s is 404', async (_label, id) => {
      expect((await admin.request('GET', `/v1/agents/${id}`)).status).toBe(404);
      expect((await admin.request('POST', `/v1/agents/${id}/tokens`)).status).toBe(404);
    });

    it.each([
      ['a bad line', { name: 'A', lines: ['marketing'] }, /lines/],
      ['no lines', { name: 'A', lines: [] }, /lines/],
      ['a missing name', { lines: ['sales'] }, /name/],
      ['a skill level of 11', { name: 'A', lines: ['sales'], skills: { billing: 11 } }, /skills/],
      ['a fractional skill level', { name: 'A', lines: ['sales'], skills: { billing: 2.5 } }, /skills/],
      ['an unknown channel', { name: 'A', lines: ['sales'], capacity: { fax: 1 } }, /capacity/],
      ['an unknown field', { name: 'A', lines: ['sales'], colour: 'blue' }, /colour/],
      ['a bad team', { name: 'A', lines: ['sales'], team: '' }, /team/],
      [
        'an unknown deputy',
        { name: 'A', lines: ['sales'], deputyId: '00000000-0000-4000-8000-000000000000' },
        /deputyId/,
      ],
    ])('%s is a 400 naming the field', async (_label, body, field) => {
      const response = await admin.request('POST', '/v1/agents', body);
      expect(response.status).toBe(400);
      expect(message(response.body)).toMatch(field);
    });

    it('an invalid PATCH is a 400 naming the field and changes nothing', async () => {
      const agent = await admin.createAgent({ name: 'B', lines: ['sales'] });
      const response = await admin.request('PATCH', `/v1/agents/${agent.id}`, { skills: { billing: 11 } });
      expect(response.status).toBe(400);
      expect(message(response.body)).toMatch(/skills/);
      expect((await admin.getAgent(agent.id)).skills).toEqual({});
    });
  });

  describe('customers', () => {
    it('create and get, with phones normalised to E.164', async () => {
      const phone = uniquePhone();
      const spaced = `+1 ${phone.slice(2, 5)} ${phone.slice(5)}`;
      const created = await admin.request<{ id: string }>('POST', '/v1/customers', {
        name: 'Ivan Sidorov',
        phones: [spaced],
        emails: ['Ivan@Example.com'],
        externalRef: `CRM-${phone}`,
      });
      expect(created.status).toBe(201);
      expect(created.body.id).toEqual(expect.any(String));
      expect(await admin.getCustomer(created.body.id)).toEqual(
        expect.objectContaining({
          id: created.body.id,
          name: 'Ivan Sidorov',
          known: true,
          phones: [phone],
          contacts: [],
        }),
      );
    });

    it.each([
      ['a missing name', { phones: ['+15551230001'] }, /name/],
      ['no phones', { name: 'X', phones: [] }, /phones/],
      ['a phone that is not a number', { name: 'X', phones: ['call me maybe'] }, /phones/],
      ['a bad e-mail', { name: 'X', phones: ['+15551230001'], emails: ['nope'] }, /emails/],
      ['an unknown field', { name: 'X', phones: ['+15551230001'], vip: true }, /vip/],
    ])('%s is a 400 naming the field', async (_label, body, field) => {
      const response = await admin.request('POST', '/v1/customers', body);
      expect(response.status).toBe(400);
      expect(message(response.body)).toMatch(field);
    });

    it('a phone already registered to another customer is a 409', async () => {
      const phone = uniquePhone();
      await admin.createCustomer({ name: 'First', phones: [phone] });
      expect((await admin.request('POST', '/v1/customers', { name: 'Second', phones: [phone] })).status).toBe(
        409,
      );
    });

    it('an unknown customer is 404', async () => {
      expect((await admin.request('GET', '/v1/customers/00000000-0000-4000-8000-000000000000')).status).toBe(
        404,
      );
    });
  });

  describe('routing rules', () => {
    it('GET returns a valid PUT body: putting it back is a 200', async () => {
      const current = await admin.getRouting('presales');
      expect(current).toEqual(
        expect.objectContaining({
          sticky: expect.objectContaining({ enabled: expect.any(Boolean), waitSeconds: expect.any(Number) }),
          offerTimeoutSeconds: expect.any(Number),
          wrapUpSeconds: expect.any(Number),
        }),
      );
      const put = await admin.request<RoutingRulesView>('PUT', '/v1/lines/presales/routing', current);
      expect(put.status).toBe(200);
      const { version: _v1, updatedAt: _u1, ...before } = current;
      const { version: _v2, updatedAt: _u2, ...after } = put.body;
      expect(after).toEqual(before);
    });

    it('a valid PUT is what the next GET returns', async () => {
      const current = await admin.getRouting('presales');
      const rules = {
        sticky: { enabled: false, waitSeconds: 5 },
        offerTimeoutSeconds: 15,
        wrapUpSeconds: 10,
        intents: { billing: { skills: { billing: 4 }, priority: 2 } },
      };
      await admin.putRouting('presales', rules);
      expect(await admin.getRouting('presales')).toEqual(
        expect.objectContaining({ ...rules, sticky: expect.objectContaining(rules.sticky) }),
      );
      await admin.putRouting('presales', current);
    });

    it.each([
      ['offerTimeoutSeconds 0', { offerTimeoutSeconds: 0 }, /offerTimeoutSeconds/],
      ['a negative sticky wait', { sticky: { enabled: true, waitSeconds: -1 } }, /sticky\.waitSeconds/],
      ['a string wrapUpSeconds', { wrapUpSeconds: '5' }, /wrapUpSeconds/],
      ['an intent skill level of 11', { intents: { billing: { skills: { billing: 11 } } } }, /intents/],
      ['an unknown field', { overflow: 'service' }, /overflow/],
    ])('%s is a 400 naming the field', async (_label, change, field) => {
      const { version: _version, updatedAt: _updatedAt, ...current } = await admin.getRouting('service');
      const response = await admin.request('PUT', '/v1/lines/service/routing', { ...current, ...change });
      expect(response.status).toBe(400);
      expect(message(response.body)).toMatch(field);
    });

    it('a missing field is a 400 naming it', async () => {
      const response = await admin.request('PUT', '/v1/lines/service/routing', {
        offerTimeoutSeconds: 20,
        wrapUpSeconds: 0,
      });
      expect(response.status).toBe(400);
      expect(message(response.body)).toMatch(/sticky/);
    });

    it('an unknown line is 404', async () => {
      expect((await admin.request('GET', '/v1/lines/marketing/routing')).status).toBe(404);
      const current = await admin.getRouting('sales');
      expect((await admin.request('PUT', '/v1/lines/marketing/routing', current)).status).toBe(404);
    });
  });

  describe('agent tokens', () => {
    it('a token connects the agent', async () => {
      const agent = await admin.createAgent({ name: 'T', lines: ['sales'] });
      const token = await admin.issueToken(agent.id);
      const client = tether.agent(token, agent.id);
      await client.connect();
      expect((await admin.getAgent(agent.id)).presence.connected).toBe(true);
      client.close();
    });

    it.each([
      ['a missing token', '', /missing token/],
      ['a malformed token', 'not-a-jwt', /invalid token/],
      [
        'a token signed with another key',
        'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDAiLCJqdGkiOiIxIiwicm9sZSI6ImFnZW50In0.c2lnbmF0dXJlLW5vdC12YWxpZC0wMTIzNDU2Nzg5MDEyMzQ1Njc',
        /invalid token/,
      ],
    ])('%s is refused with a connect_error that says why', async (_label, token, reason) => {
      const client = tether.agent(token);
      await expect(client.connect()).rejects.toThrow(reason);
      expect(client.connected).toBe(false);
    });

    it('the token of a deleted agent is refused', async () => {
      const agent = await admin.createAgent({ name: 'Gone', lines: ['sales'] });
      const token = await admin.issueToken(agent.id);
      await admin.deleteAgent(agent.id);
      const client = tether.agent(token, agent.id);
      await expect(client.connect()).rejects.toThrow(/no longer exists|revoked/);
    });
  });
});
