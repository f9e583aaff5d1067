import { expect } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { Client } from 'pg';
import {
  type AdminClient,
  type Tether,
  startTether,
  tetherSignature,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';

const JWT_SECRET = 'e2e-jwt-secret-0123456789abcdef0123456789';

function base64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A JWT built by hand, so tests can forge what a library would refuse to make. */
function jwt(header: object, payload: object, secret: string | null): string {
  const head = `${base64url(header)}.${base64url(payload)}`;
  if (secret === null) return `${head}.`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

function claimsOf(token: string): { sub: string; jti: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as {
    sub: string;
    jti: string;
    exp: number;
  };
}

/** Security: nobody is let in, nobody acts on what is not theirs, nothing personal leaks into logs. */
describe('security', () => {
  let tether: Tether;
  let admin: AdminClient;
  const phones: string[] = [];

  beforeAll(async () => {
    tether = await startTether({
      env: { TETHER_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'info', TETHER_SOCKET_EVENTS_PER_SECOND: '5' },
    });
    admin = tether.admin();
  });
  afterAll(() => tether?.stop());

  async function agentWithToken(lines: ('sales' | 'service')[] = ['sales']) {
    const agent = await admin.createAgent({ name: 'Sec Agent', lines });
    const token = await admin.issueToken(agent.id);
    return { agent, token };
  }

  describe('every admin route, enumerated from the OpenAPI document', () => {
    it('refuses no token, near misses of the admin token, other schemes, agent and forged JWTs; accepts the token', async () => {
      const doc = (await (await fetch(`${tether.urls.admin}/docs/json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const routes = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/v1/'))
        .flatMap(([path, methods]) =>
          Object.keys(methods).map((method) => [method.toUpperCase(), path] as const),
        );
      expect(routes.length).toBeGreaterThanOrEqual(9);

      const { token: agentToken } = await agentWithToken();
      const claims = claimsOf(agentToken);
      const now = Math.floor(Date.now() / 1000);
      const real = tether.adminToken;
      const flipped = `${real.slice(0, -1)}${real.endsWith('0') ? '1' : '0'}`;
      // the admin token is opaque: the forgeries that matter are near misses of it; the JWTs show that no token
      // format is special
      const forged = [
        ['none', null],
        ['the admin token, last character changed', flipped],
        ['the admin token with a character more', `${real}x`],
        ['the admin token without its last character', real.slice(0, -1)],
        ['agent token', agentToken],
        [
          'expired',
          jwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, role: 'admin', exp: now - 60 }, JWT_SECRET),
        ],
        ['alg none', jwt({ alg: 'none', typ: 'JWT' }, { sub: 'admin', role: 'admin', exp: now + 600 }, null)],
        [
          'wrong key',
          jwt(
            { alg: 'HS256', typ: 'JWT' },
            { sub: 'admin', role: 'admin', exp: now + 600 },
            'not-the-secret-0123456789abcdef',
          ),
        ],
      ] as const;

      for (const [method, template] of routes) {
        const path = template
          .replace('{line}', 'sales')
          .replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const body = method === 'GET' || method === 'DELETE' ? undefined : {};
        // positive control: the route answers the real token with something else than 401 (its 2xx, or a 400 for
        // the empty body, a 404 for the made-up id), so the 401s below are the credentials' doing
        const accepted = await admin.request(method, path, body);
        expect({ route: `${method} ${path}`, refused: [401, 403, 429].includes(accepted.status) }).toEqual({
          route: `${method} ${path}`,
          refused: false,
        });
        for (const [scheme, value] of [
          ['Basic', Buffer.from(`admin:${real}`).toString('base64')],
          ['Token', real],
        ] as const) {
          const response = await admin.request(method, path, body, {
            token: null,
            headers: { authorization: `${scheme} ${value}` },
          });
          expect({ route: `${method} ${path}`, scheme, status: response.status }).toEqual({
            route: `${method} ${path}`,
            scheme,
            status: 401,
          });
        }
        for (const [label, token] of forged) {
          const response = await admin.request(method, path, body, { token });
          expect({ route: `${method} ${path}`, label, status: response.status }).toEqual({
            route: `${method} ${path}`,
            label,
            // an agent's real token is a credential, for /agents only: 403 (README: Users and roles)
            status: label === 'agent token' ? 403 : 401,
          });
        }
      }
    });

    it('the admin token opens the supervisors namespace, which sends the roster', async () => {
      const { io } = await import('socket.io-client');
      const { agent } = await agentWithToken();
      const socket = io(`${tether.urls.gateway}/supervisors`, {
        auth: { token: tether.adminToken },
        transports: ['websocket'],
        reconnection: false,
      });
      try {
        const roster = await new Promise<{ id: string }[]>((resolve, reject) => {
          socket.once('agents', resolve);
          socket.once('connect_error', reject);
        });
        expect(roster.map((a) => a.id)).toContain(agent.id);
      } finally {
        socket.close();
      }
    });

    it.each([
      [
        'the admin token, last character changed',
        (t: string) => `${t.slice(0, -1)}${t.endsWith('0') ? '1' : '0'}`,
      ],
      ['no token', () => ''],
    ])('%s never opens the supervisors namespace', async (_label, forge) => {
      const { io } = await import('socket.io-client');
      const socket = io(`${tether.urls.gateway}/supervisors`, {
        auth: { token: forge(tether.adminToken) },
        transports: ['websocket'],
        reconnection: false,
      });
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      socket.close();
      expect(error.message).toMatch(/token/i);
    });

    it('an agent socket token never opens the supervisors namespace', async () => {
      const { io } = await import('socket.io-client');
      const { token } = await agentWithToken();
      const socket = io(`${tether.urls.gateway}/supervisors`, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
      });
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      socket.close();
      expect(error.message).toMatch(/token/i);
    });
  });

  describe('agent tokens', () => {
    it.each([
      [
        'alg none',
        (c: { sub: string; jti: string }) =>
          jwt({ alg: 'none' }, { ...c, role: 'agent', exp: Math.floor(Date.now() / 1000) + 600 }, null),
      ],
      [
        'wrong key',
        (c: { sub: string; jti: string }) =>
          jwt(
            { alg: 'HS256' },
            { ...c, role: 'agent', exp: Math.floor(Date.now() / 1000) + 600 },
            'x'.repeat(40),
          ),
      ],
      [
        'expired',
        (c: { sub: string; jti: string }) =>
          jwt({ alg: 'HS256' }, { ...c, role: 'agent', exp: Math.floor(Date.now() / 1000) - 5 }, JWT_SECRET),
      ],
      [
        'HS512 with the right key',
        (c: { sub: string; jti: string }) => {
          const head = `${base64url({ alg: 'HS512' })}.${base64url({ ...c, role: 'agent', exp: Math.floor(Date.now() / 1000) + 600 })}`;
          return `${head}.${createHmac('sha512', JWT_SECRET).update(head).digest('base64url')}`;
        },
      ],
    ])('a %s token is refused at connect', async (_label, forge) => {
      const { token } = await agentWithToken();
      const claims = claimsOf(token);
      const client = tether.agent(forge({ sub: claims.sub, jti: claims.jti }));
      await expect(client.connect()).rejects.toThrow(/token/i);
      client.close();
    });

    it('a token that expires mid-session is disconnected', async () => {
      const { token } = await agentWithToken();
      const claims = claimsOf(token);
      const shortLived = jwt(
        { alg: 'HS256', typ: 'JWT' },
        { ...claims, role: 'agent', exp: Math.floor(Date.now() / 1000) + 2 },
        JWT_SECRET,
      );
      const client = tether.agent(shortLived, claims.sub);
      await client.connect();
      await waitFor(() => !client.connected, {
        what: 'the socket closed after its token expired',
        timeoutMs: 8_000,
      });
      client.close();
    });
  });

  describe('an agent acts only on what is theirs', () => {
    it("another agent's offer cannot be accepted or rejected, and stays the owner's", async () => {
      const line = 'service';
      await admin.putRouting(line, {
        sticky: { enabled: false, waitSeconds: 0 },
        offerTimeoutSeconds: 30,
        wrapUpSeconds: 0,
      });
      const owner = await agentWithToken([line]);
      const intruder = await agentWithToken(['sales']);
      const ownerClient = tether.agent(owner.token, owner.agent.id);
      const intruderClient = tether.agent(intruder.token, intruder.agent.id);
      await ownerClient.connect();
      await intruderClient.connect();
      await ownerClient.setStatus('available');
      const phone = uniquePhone();
      phones.push(phone);
      const call = await tether
        .line(line)
        .postCall({ callId: uniqueCallId(), from: phone, to: '+15550000001' });
      expect(call.status).toBe(201);
      const offer = await ownerClient.nextOffer();

      expect(await intruderClient.accept(offer.offerId)).toMatchObject({ ok: false });
      expect(await intruderClient.reject(offer.offerId)).toMatchObject({ ok: false });
      expect(await intruderClient.complete(offer.contact.id, 'resolved')).toMatchObject({ ok: false });
      const accepted = await ownerClient.accept(offer.offerId);
      expect(accepted).toMatchObject({ ok: true, contactId: offer.contact.id });
      expect(await intruderClient.complete(offer.contact.id, 'resolved', 'not mine')).toMatchObject({
        ok: false,
      });
      const customer = await admin.getCustomer(call.body.customer.id);
      expect(customer.contacts[0]).toMatchObject({
        id: offer.contact.id,
        resolution: null,
        agentId: owner.agent.id,
      });
      ownerClient.close();
      intruderClient.close();
    });

    it('a flood of socket events is rate limited with an error ack', async () => {
      const { agent, token } = await agentWithToken();
      const client = tether.agent(token, agent.id);
      await client.connect();
      const acks = await Promise.all(Array.from({ length: 40 }, () => client.setStatus('away')));
      expect(acks.filter((a) => a.ok).length).toBeLessThanOrEqual(12);
      expect(acks.some((a) => !a.ok && /rate limited/.test(a.error))).toBe(true);
      client.close();
    });
  });

  describe('webhook signatures are bound to method and path, and calls to their line', () => {
    const HANGUP = JSON.stringify({ type: 'hangup' });
    const callPath = (callId: string) => `/v1/telephony/calls/${callId}`;
    const eventsPath = (callId: string) => `${callPath(callId)}/events`;
    const newCall = () => {
      const from = uniquePhone();
      phones.push(from);
      return { callId: uniqueCallId(), from, to: '+15550000001' };
    };

    it('a captured hang-up replayed against another call id, method, path or line is 401; the original succeeds', async () => {
      const sales = tether.line('sales');
      const service = tether.line('service');
      const [target, bystander, otherLine] = [newCall(), newCall(), newCall()];
      expect((await sales.postCall(target)).status).toBe(201);
      expect((await sales.postCall(bystander)).status).toBe(201);
      expect((await service.postCall(otherLine)).status).toBe(201);

      // what an eavesdropper captured: the platform's signed hang-up of `target` on sales
      const captured = tetherSignature(tether.webhookSecret, 'POST', eventsPath(target.callId), HANGUP);
      const replay = { signatureHeader: captured };
      const attempts = {
        'another call id': await sales.request('POST', eventsPath(bystander.callId), HANGUP, replay),
        // no two routes share a path, so the method is isolated the other way round: a signature made for another
        // method over the very same path and body
        'another method': await sales.request('POST', eventsPath(target.callId), HANGUP, {
          signatureHeader: tetherSignature(tether.webhookSecret, 'PUT', eventsPath(target.callId), HANGUP),
        }),
        'another path': await sales.request('POST', '/v1/telephony/calls', HANGUP, replay),
        'another line (its call)': await service.request(
          'POST',
          eventsPath(otherLine.callId),
          HANGUP,
          replay,
        ),
        'a query string added': await sales.request(
          'POST',
          `${eventsPath(target.callId)}?x=1`,
          HANGUP,
          replay,
        ),
      };
      expect(
        Object.fromEntries(Object.entries(attempts).map(([label, sent]) => [label, sent.response.status])),
      ).toEqual({
        'another call id': 401,
        'another method': 401,
        'another path': 401,
        'another line (its call)': 401,
        'a query string added': 401,
      });
      // nothing was touched
      expect((await sales.getCall(bystander.callId)).body.status).toBe('queued');
      expect((await service.getCall(otherLine.callId)).body.status).toBe('queued');
      expect((await sales.getCall(target.callId)).body.status).toBe('queued');

      // the control: the captured request itself, as it was signed, is accepted and ends its own call only
      const original = await sales.request<{ status: string }>(
        'POST',
        eventsPath(target.callId),
        HANGUP,
        replay,
      );
      expect(original.response.status).toBe(200);
      expect(original.response.body.status).toBe('ended');
      expect((await sales.getCall(bystander.callId)).body.status).toBe('queued');

      await sales.hangup(bystander.callId);
      await service.hangup(otherLine.callId);
    });

    it('a captured GET cannot read another call, on this line or another', async () => {
      const sales = tether.line('sales');
      const service = tether.line('service');
      const [mine, other, otherLine] = [newCall(), newCall(), newCall()];
      await sales.postCall(mine);
      await sales.postCall(other);
      await service.postCall(otherLine);
      const read = await sales.request('GET', callPath(mine.callId));
      expect(read.response.status).toBe(200); // the control
      const replay = { signatureHeader: read.signatureHeader };
      expect((await sales.request('GET', callPath(other.callId), '', replay)).response.status).toBe(401);
      expect((await service.request('GET', callPath(otherLine.callId), '', replay)).response.status).toBe(
        401,
      );
      expect((await sales.request('GET', callPath(mine.callId), '', replay)).response.status).toBe(200);
      await Promise.all([
        sales.hangup(mine.callId),
        sales.hangup(other.callId),
        service.hangup(otherLine.callId),
      ]);
    });

    it("a hang-up sent to another line's app leaves this line's call untouched (offer live, accept works)", async () => {
      const { agent, token } = await agentWithToken(['sales']);
      const client = tether.agent(token, agent.id);
      await client.connect();
      await client.setStatus('available');
      const call = newCall();
      const posted = await tether.line('sales').postCall(call);
      expect(posted.status).toBe(201);
      const offer = await client.nextOffer();
      expect(offer.contact.id).toBe(posted.body.contactId);

      // The sales hang-up, captured and sent to the service app. The signed string has no line in it (method, path,
      // body), so it verifies there; but service's calls are service's: it has not seen this call id, and remembers
      // a hang-up for its own future call of that id (202). The sales call is another call.
      const captured = tetherSignature(tether.webhookSecret, 'POST', eventsPath(call.callId), HANGUP);
      const elsewhere = await tether
        .line('service')
        .request('POST', eventsPath(call.callId), HANGUP, { signatureHeader: captured });
      expect(elsewhere.response.status).toBe(202);
      await client.revoked.expectNone(500);
      expect((await tether.line('sales').getCall(call.callId)).body.status).toBe('offered');
      expect(await client.accept(offer.offerId)).toMatchObject({
        ok: true,
        contactId: posted.body.contactId,
      });
      expect((await tether.line('sales').getCall(call.callId)).body).toMatchObject({
        status: 'connected',
        agent: { id: agent.id },
      });
      // the control: the same hang-up sent to the call's own line ends it
      const own = await tether
        .line('sales')
        .request<{ status: string }>('POST', eventsPath(call.callId), HANGUP, { signatureHeader: captured });
      expect(own.response.status).toBe(200);
      expect(own.response.body.status).toBe('ended');
      client.close();
    });
  });

  describe('mass assignment and oversized input', () => {
    // raw JSON, so what is sent is what is written here: in an object literal `__proto__` sets the literal's
    // prototype and is never sent at all
    const valid = '"name":"M","lines":["sales"]';
    const agentCount = async () => {
      const page = await admin.request<unknown[]>('GET', '/v1/agents?limit=500');
      expect(page.body.length).toBeLessThan(500);
      return page.body.length;
    };

    it.each([
      [`{${valid},"role":"admin"}`, 'role'],
      [`{${valid},"id":"00000000-0000-4000-8000-000000000000"}`, 'id'],
      [`{${valid},"presence":{"state":"available"}}`, 'presence'],
      [`{${valid},"__proto__":{"admin":true}}`, '__proto__'],
      [`{${valid},"constructor":{"prototype":{"admin":true}}}`, 'constructor'],
      [`{${valid},"skills":{"__proto__":{"admin":true}}}`, 'skills.__proto__'],
    ])('extra field in %s -> 400 naming it, nothing created', async (raw, field) => {
      expect(raw).toContain(`"${field.split('.').pop()}"`);
      const before = await agentCount();
      const response = await admin.request('POST', '/v1/agents', raw);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain(field);
      expect(await agentCount()).toBe(before);
    });

    it('positive control: the same raw body without the extra field creates the agent', async () => {
      const before = await agentCount();
      const response = await admin.request<{ id: string }>('POST', '/v1/agents', `{${valid}}`);
      expect(response.status).toBe(201);
      expect(await agentCount()).toBe(before + 1);
    });

    it('status or agentId on a telephony webhook -> 400, no contact', async () => {
      const callId = uniqueCallId();
      const response = await tether.line('sales').postCall({
        callId,
        from: uniquePhone(),
        to: '+15550000001',
        status: 'connected',
        agentId: 'x',
      } as never);
      expect(response.status).toBe(400);
      expect((await tether.line('sales').getCall(callId)).status).toBe(404);
    });

    it('a webhook body over 64 KB -> 413', async () => {
      const raw = JSON.stringify({
        callId: uniqueCallId(),
        from: uniquePhone(),
        to: '+1',
        pad: 'x'.repeat(70 * 1024),
      });
      const response = await tether.line('sales').postCall(raw);
      expect(response.status).toBe(413);
    });
  });

  describe('audit and logs', () => {
    it('every admin write leaves an audit row that cannot be changed or deleted', async () => {
      const agent = await admin.createAgent({ name: 'Audited', lines: ['presales'] });
      await admin.patchAgent(agent.id, { name: 'Audited 2' });
      await admin.deleteAgent(agent.id);
      const db = new Client({ connectionString: tether.databaseUrl });
      await db.connect();
      try {
        // this agent's rows only: the create names its target too (the id it answered with)
        const { rows } = await db.query<{ actor: string; action: string; status: number; address: string }>(
          `SELECT actor, action, status, address FROM audit_log WHERE target = $1 ORDER BY id`,
          [agent.id],
        );
        const actor = `admin:${createHash('sha256').update(tether.adminToken).digest('hex').slice(0, 12)}`;
        expect(rows).toEqual([
          { actor, action: 'POST /v1/agents', status: 201, address: '127.0.0.1' },
          { actor, action: 'PATCH /v1/agents/:id', status: 200, address: '127.0.0.1' },
          { actor, action: 'DELETE /v1/agents/:id', status: 204, address: '127.0.0.1' },
        ]);
        expect(JSON.stringify(rows)).not.toContain(tether.adminToken);
        await expect(db.query(`UPDATE audit_log SET status = 200`)).rejects.toThrow(/append-only|permission/);
        await expect(db.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only|permission/);
        await expect(db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only|permission/);
      } finally {
        await db.end();
      }
    });

    it('logs never carry a full phone number', async () => {
      // a caller that goes through the whole lifecycle, at info level, so every log line about it is written
      const phone = uniquePhone();
      phones.push(phone);
      await tether.line('presales').postCall({ callId: uniqueCallId(), from: phone, to: '+15550000002' });
      await admin.createCustomer({
        name: 'Logged Person',
        phones: [uniquePhone()],
        emails: ['logged.person@example.com'],
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const logs = tether.logs();
      expect(logs.length).toBeGreaterThan(100);
      for (const number of phones) {
        expect(logs).not.toContain(number);
        expect(logs).not.toContain(number.slice(1));
      }
      expect(logs).not.toContain('logged.person@example.com');
    });
  });

  describe('rate limits', () => {
    it('admin REST answers 429 past the per-token limit; webhooks have their own budget, which forgeries never spend', async () => {
      const limited = await startTether({
        env: { TETHER_ADMIN_RATE_LIMIT_PER_SECOND: '10', TETHER_WEBHOOK_RATE_LIMIT_PER_SECOND: '5' },
      });
      try {
        const client = limited.admin();
        // at once, so they land in one or two of the one-second windows
        const statuses = await Promise.all(
          Array.from({ length: 30 }, async () => (await client.request('GET', '/v1/agents')).status),
        );
        expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
        expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(20);
        expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
        expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);

        const sales = limited.line('sales');
        const post = (signature: 'valid' | 'bad') =>
          sales
            .postCall({ callId: uniqueCallId(), from: uniquePhone(), to: '+1' }, { signature })
            .then((r) => r.status);
        const nextWindow = () => new Promise((resolve) => setTimeout(resolve, 1100));
        await nextWindow();
        // forged webhooks are refused before the limit is counted: twenty of them, sent together with four signed
        // ones, leave the signed ones their budget of five
        const mixed = await Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            post(i % 6 === 5 ? 'valid' : 'bad').then((status) => ({ i, status })),
          ),
        );
        expect(mixed.filter(({ i }) => i % 6 !== 5).map(({ status }) => status)).toEqual(Array(20).fill(401));
        expect(mixed.filter(({ i }) => i % 6 === 5).map(({ status }) => status)).toEqual([
          201, 201, 201, 201,
        ]);
        // positive control: signed webhooks past the budget are refused
        await nextWindow();
        const hooks = await Promise.all(Array.from({ length: 15 }, () => post('valid')));
        expect(hooks.filter((s) => s === 201).length).toBeGreaterThanOrEqual(5);
        expect(hooks.filter((s) => s === 201).length).toBeLessThanOrEqual(10);
        expect(hooks.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
        expect((await fetch(`${limited.urls.admin}/health`)).status).toBe(200);
      } finally {
        await limited.stop();
      }
    });
  });
});
