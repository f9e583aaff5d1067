import { expect } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { io } from 'socket.io-client';
import {
  type AdminClient,
  type AgentClient,
  type AgentView,
  type HttpResponse,
  type Tether,
  startTether,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';

/** The header a trusted proxy in front of Tether adds: the client it is forwarding for. */
const from = (address: string) => ({ 'x-forwarded-for': address });

/** The documented defaults: `''` unsets the harness's lifted limits (loadConfig reads an empty value as unset). */
const DEFAULT_LIMITS = {
  TETHER_ADMIN_RATE_LIMIT_PER_SECOND: '',
  TETHER_AUTH_FAILURES_PER_MINUTE: '',
  TETHER_WEBHOOK_RATE_LIMIT_PER_SECOND: '',
  TETHER_SOCKET_HANDSHAKES_PER_SECOND: '',
  TETHER_AGENT_MAX_SOCKETS: '',
  TETHER_INTAKE_TARGET_MS: '',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `count` tasks, `concurrency` at a time, and returns their results in order. */
async function inParallel<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

/** An admin request made as fast as the token's own limit allows (set-up, not the subject of a test). */
async function paced<T>(send: () => Promise<HttpResponse<T>>): Promise<HttpResponse<T>> {
  for (;;) {
    const response = await send();
    if (response.status !== 429) return response;
    await sleep(1000);
  }
}

async function newAgent(admin: AdminClient, headers: Record<string, string> = {}) {
  const created = await paced(() =>
    admin.request<AgentView>('POST', '/v1/agents', { name: 'Limits', lines: ['service'] }, { headers }),
  );
  expect(created.status).toBe(201);
  const issued = await paced(() =>
    admin.request<{ token: string }>('POST', `/v1/agents/${created.body.id}/tokens`),
  );
  expect(issued.status).toBe(201);
  return { agent: created.body, token: issued.body.token };
}

function statusCounts(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** Connects every client; each settles as connected or with the server's connect_error message. */
async function connectAll(clients: AgentClient[], timeoutMs = 30_000): Promise<string[]> {
  const settled = await Promise.allSettled(clients.map((client) => client.connect(timeoutMs)));
  return settled.map((result) =>
    result.status === 'fulfilled' ? 'connected' : (result.reason as Error).message,
  );
}

function supervisor(tether: Tether, token: string, headers: Record<string, string> = {}) {
  const socket = io(`${tether.urls.gateway}/supervisors`, {
    auth: { token },
    transports: ['websocket'],
    extraHeaders: headers,
    reconnection: false,
    forceNew: true,
  });
  const outcome = new Promise<string>((resolve) => {
    socket.once('agents', () => resolve('connected'));
    socket.once('connect_error', (error: Error) => resolve(error.message));
  });
  return { socket, outcome };
}

const ACTOR = (token: string) => `admin:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;

/**
 * Abuse limits as they work behind the shipped proxy (docker/nginx.conf, `npm run start:cluster`): the apps believe
 * X-Forwarded-For from TETHER_TRUSTED_PROXIES, so every limit is keyed on the real client; credentials are checked
 * before a request takes a place in a bucket, so refused requests have their own bucket and never lock admins,
 * agents or the telephony platform out. Everything here runs with the documented default limits.
 */
describe('abuse limits behind a trusted proxy', () => {
  let tether: Tether;
  let admin: AdminClient;
  let db: Client;

  beforeAll(async () => {
    tether = await startTether({ env: { ...DEFAULT_LIMITS, TETHER_TRUSTED_PROXIES: '127.0.0.1' } });
    admin = tether.admin();
    db = new Client({ connectionString: tether.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await tether?.stop();
  });

  it('1,000 unauthenticated requests from one address do not stop an admin at that address, or anywhere', async () => {
    const flood = '203.0.113.10';
    let flooding = true;
    const adminStatuses: number[] = [];
    const adminLoop = (async () => {
      for (let i = 0; flooding; i++) {
        const address = i % 2 === 0 ? flood : '198.51.100.20';
        adminStatuses.push(
          (await admin.request('GET', '/v1/agents', undefined, { headers: from(address) })).status,
        );
        await sleep(25);
      }
    })();
    const floodResponses = await inParallel(1000, 50, (i) =>
      admin.request<{ message: string }>('GET', '/v1/agents', undefined, {
        token: i % 2 === 0 ? null : 'not-the-admin-token-0123456789',
        headers: from(flood),
      }),
    );
    flooding = false;
    await adminLoop;

    // positive control: the flood itself was refused, and past its budget (60 a minute) with 429
    const counts = statusCounts(floodResponses.map((r) => r.status));
    expect(counts).toEqual({ 401: 60, 429: 940 });
    expect(floodResponses.find((r) => r.status === 429)?.body.message).toMatch(
      /too many refused attempts from this address/,
    );
    // the admin was let in throughout, from the flood's address too
    expect(adminStatuses.length).toBeGreaterThan(5);
    expect(statusCounts(adminStatuses)).toEqual({ 200: adminStatuses.length });
    expect((await admin.request('GET', '/v1/agents', undefined, { headers: from(flood) })).status).toBe(200);
    // the bucket is the forwarded address's: another client's first mistake is a plain 401
    const other = await admin.request('GET', '/v1/agents', undefined, {
      token: null,
      headers: from('203.0.113.11'),
    });
    expect(other.status).toBe(401);

    // the refusals are audited, a bounded number of rows for a thousand requests
    const rows = await waitFor(
      async () => {
        const { rows } = await db.query<{ status: number; actor: string; count: number; action: string }>(
          `SELECT status, actor, count, action FROM audit_log WHERE address = $1 ORDER BY id`,
          [flood],
        );
        return rows.some((r) => r.status === 401) && rows.some((r) => r.status === 429) && rows;
      },
      { what: 'audit rows of the refused flood' },
    );
    expect(rows.length).toBeLessThanOrEqual(4);
    expect(rows.filter((r) => r.count === 1).map((r) => [r.status, r.actor, r.action])).toEqual(
      expect.arrayContaining([
        [401, 'anonymous', 'GET /v1/agents'],
        [429, 'anonymous', 'GET /v1/agents'],
      ]),
    );
  });

  it('the audit log names the admin token, the client address and the created id; a refusal is a row', async () => {
    const created = await paced(() =>
      admin.request<AgentView>(
        'POST',
        '/v1/agents',
        { name: 'Audited', lines: ['sales'] },
        { headers: from('198.51.100.7') },
      ),
    );
    expect(created.status).toBe(201);
    const refused = await admin.request(
      'POST',
      '/v1/agents',
      { name: 'Intruder', lines: ['sales'] },
      { token: 'not-the-admin-token-0123456789', headers: from('198.51.100.8') },
    );
    expect(refused.status).toBe(401);

    const { rows } = await db.query(
      `SELECT actor, action, target, status, address, count FROM audit_log WHERE target = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([
      {
        actor: ACTOR(tether.adminToken),
        action: 'POST /v1/agents',
        target: created.body.id,
        status: 201,
        address: '198.51.100.7',
        count: 1,
      },
    ]);
    const refusal = await waitFor(
      async () =>
        (
          await db.query(`SELECT actor, action, target, status, count FROM audit_log WHERE address = $1`, [
            '198.51.100.8',
          ])
        ).rows[0] as unknown,
      { what: 'the audit row of the refused create' },
    );
    expect(refusal).toEqual({
      actor: 'anonymous',
      action: 'POST /v1/agents',
      target: null,
      status: 401,
      count: 1,
    });
    const { rows: all } = await db.query<{ actor: string }>(`SELECT DISTINCT actor FROM audit_log`);
    expect(all.map((r) => r.actor).join(' ')).not.toContain(tether.adminToken);
  });

  it('a telephony platform sending 1,000 webhooks as fast as it can from one address is admitted', async () => {
    const presales = tether.line('presales');
    const responses = await inParallel(1000, 100, () =>
      presales.postCall(
        { callId: uniqueCallId(), from: uniquePhone(), to: '+15550000002' },
        { headers: from('192.0.2.80'), timeoutMs: 30_000 },
      ),
    );
    expect(statusCounts(responses.map((r) => r.status))).toEqual({ 201: 1000 });
    // the limit in force, per address per second: at least the 1,000 webhooks/s a platform may send
    expect(Number(responses[999].headers.get('x-ratelimit-limit-webhook'))).toBeGreaterThanOrEqual(1000);
    expect(Number(responses[999].headers.get('x-ratelimit-reset-webhook'))).toBeLessThanOrEqual(1);
  }, 120_000);

  it('an office of 40 agents behind one address opens 200 sockets at once', async () => {
    const office = '192.0.2.50';
    const agents = [];
    for (let i = 0; i < 40; i++) agents.push(await newAgent(admin));
    const clients = agents.flatMap(({ agent, token }) =>
      Array.from({ length: 5 }, () => tether.agent(token, agent.id, from(office))),
    );
    try {
      const outcomes = await connectAll(clients, 60_000);
      expect(outcomes.filter((o) => o !== 'connected')).toEqual([]);
      expect(outcomes).toHaveLength(200);
    } finally {
      for (const client of clients) client.close();
    }
  }, 120_000);

  it('an agent opens at most 5 sockets: the sixth is refused saying why, a closed one frees its place', async () => {
    const { agent, token } = await newAgent(admin);
    const first = Array.from({ length: 5 }, () => tether.agent(token, agent.id));
    const sixth = tether.agent(token, agent.id);
    try {
      expect(await connectAll(first)).toEqual(Array(5).fill('connected'));
      await expect(sixth.connect()).rejects.toThrow(
        /too many connections for this agent.*TETHER_AGENT_MAX_SOCKETS/,
      );
      first[0].close();
      const again = await waitFor(
        async () => {
          const client = tether.agent(token, agent.id);
          const [outcome] = await connectAll([client]);
          if (outcome === 'connected') return client;
          client.close();
          return undefined;
        },
        { what: 'a place freed by the closed socket', intervalMs: 100 },
      );
      again.close();
    } finally {
      for (const client of [...first, sixth]) client.close();
    }
  });

  it('eight simultaneous handshakes of one agent: five get in', async () => {
    const { agent, token } = await newAgent(admin);
    const clients = Array.from({ length: 8 }, () => tether.agent(token, agent.id));
    try {
      const outcomes = await connectAll(clients);
      expect(outcomes.filter((o) => o === 'connected')).toHaveLength(5);
      for (const refusal of outcomes.filter((o) => o !== 'connected'))
        expect(refusal).toMatch(/too many connections for this agent/);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('supervisors connect with the admin token through the proxy', async () => {
    const { socket, outcome } = supervisor(tether, tether.adminToken, from('198.51.100.30'));
    try {
      expect(await outcome).toBe('connected');
    } finally {
      socket.close();
    }
  });

  describe('bounded input', () => {
    it('GET /v1/agents pages with ?limit and a cursor in the Link header, and keeps its array shape', async () => {
      // the office above created 40+ agents; walk them two ways and compare
      const all = await paced(() => admin.request<AgentView[]>('GET', '/v1/agents?limit=500'));
      expect(all.status).toBe(200);
      expect(Array.isArray(all.body)).toBe(true);
      expect(all.headers.get('link')).toBeNull();
      const walked: string[] = [];
      let next: string | null = '/v1/agents?limit=7';
      while (next) {
        const url: string = next;
        const page = await paced(() => admin.request<AgentView[]>('GET', url));
        expect(page.status).toBe(200);
        expect(page.body.length).toBeLessThanOrEqual(7);
        walked.push(...page.body.map((a) => a.id));
        next = /^<([^>]+)>; rel="next"$/.exec(page.headers.get('link') ?? '')?.[1] ?? null;
      }
      expect(walked).toEqual(all.body.map((a) => a.id));
      expect(walked.length).toBeGreaterThan(40);
      // the default page is 100 agents, with a Link to the rest once there are more
      const first = await paced(() => admin.request<AgentView[]>('GET', '/v1/agents'));
      expect(first.body.length).toBe(Math.min(100, all.body.length));
    });

    it.each([
      ['/v1/agents?limit=0', /limit/],
      ['/v1/agents?limit=501', /limit/],
      ['/v1/agents?limit=ten', /limit/],
      ['/v1/agents?cursor=not-an-id', /cursor/],
      ['/v1/agents?cursor=00000000-0000-4000-8000-000000000000', /cursor/],
      ['/v1/agents?page=2', /page/],
    ])('GET %s is a 400 naming the parameter', async (path, field) => {
      const response = await paced(() => admin.request<{ message: string }>('GET', path));
      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(field);
    });

    it('the OpenAPI document describes limit, cursor and the Link header', async () => {
      const doc = (await (await fetch(`${tether.urls.admin}/docs/json`)).json()) as {
        paths: Record<
          string,
          { get: { parameters: { name: string }[]; responses: Record<string, { headers?: object }> } }
        >;
      };
      const list = doc.paths['/v1/agents'].get;
      expect(list.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor']));
      expect(Object.keys(list.responses['200'].headers ?? {})).toContain('Link');
    });

    it('a routing rule set takes at most 200 intents: 201 is a 400 naming intents, 200 are stored', async () => {
      const intents = (n: number) =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`intent_${i}`, { skills: { billing: 1 } }]));
      const rules = (n: number) => ({
        sticky: { enabled: true, waitSeconds: 0 },
        offerTimeoutSeconds: 20,
        wrapUpSeconds: 0,
        intents: intents(n),
      });
      const tooMany = await paced(() =>
        admin.request<{ message: string }>('PUT', '/v1/lines/service/routing', rules(201)),
      );
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.message).toMatch(/intents must have at most 200 entries/);
      const enough = await paced(() => admin.request('PUT', '/v1/lines/service/routing', rules(200)));
      expect(enough.status).toBe(200);
    });
  });
});

/** The same limits, made small, and without a trusted proxy: what a limit does when it is reached. */
describe('abuse limits at their edge', () => {
  let tether: Tether;
  let admin: AdminClient;
  let db: Client;

  beforeAll(async () => {
    tether = await startTether({
      env: {
        ...DEFAULT_LIMITS,
        TETHER_AUTH_FAILURES_PER_MINUTE: '5',
        TETHER_SOCKET_HANDSHAKES_PER_SECOND: '3',
      },
    });
    admin = tether.admin();
    db = new Client({ connectionString: tether.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await tether?.stop();
  });

  it('without TETHER_TRUSTED_PROXIES nobody picks their own bucket: X-Forwarded-For is ignored', async () => {
    const statuses = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (
          await admin.request('GET', '/v1/agents', undefined, {
            token: null,
            headers: from(`203.0.113.${i}`),
          })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // and still the admin gets in, from the same (real) address
    expect((await admin.request('GET', '/v1/agents')).status).toBe(200);
  });

  it('supervisors: guesses of the admin token are refused, then throttled; the real token still gets in', async () => {
    const outcomes = [];
    for (let i = 0; i < 7; i++) {
      const { socket, outcome } = supervisor(tether, `guess-${i}-0123456789abcdef`);
      outcomes.push(await outcome);
      socket.close();
    }
    expect(outcomes.slice(0, 5)).toEqual(
      Array(5).fill('invalid token: supervisors use an admin token or a supervisor user token'),
    );
    for (const outcome of outcomes.slice(5))
      expect(outcome).toMatch(/too many failed attempts from this address/);
    const { socket, outcome } = supervisor(tether, tether.adminToken);
    try {
      expect(await outcome).toBe('connected');
    } finally {
      socket.close();
    }
    // refused handshakes are audited like refused requests: the first of each status at once, the rest of the
    // minute as one row when it closes; the accepted handshake writes none
    const audited = await waitFor(
      async () => {
        const { rows } = await db.query<{ actor: string; status: number; address: string | null }>(
          `SELECT DISTINCT actor, status, address FROM audit_log WHERE action = 'socket /supervisors handshake'`,
        );
        return rows.length >= 2 && rows;
      },
      { what: 'audit rows of the refused supervisor handshakes' },
    );
    expect(audited.map((row) => row.status).sort()).toEqual([401, 429]);
    for (const row of audited) expect(row).toMatchObject({ actor: 'anonymous', address: expect.any(String) });
  });

  it('agents: handshakes past the per-address budget are refused saying why', async () => {
    await sleep(1100);
    const agents = [await newAgent(admin), await newAgent(admin)];
    const clients = agents.flatMap(({ agent, token }) =>
      Array.from({ length: 5 }, () => tether.agent(token, agent.id)),
    );
    try {
      const outcomes = await connectAll(clients);
      const refused = outcomes.filter((o) => o !== 'connected');
      expect(refused.length).toBeGreaterThanOrEqual(4);
      for (const refusal of refused) expect(refusal).toMatch(/too many connections from this address/);
      expect(outcomes.filter((o) => o === 'connected').length).toBeGreaterThanOrEqual(3);
    } finally {
      for (const client of clients) client.close();
    }
  });
});
