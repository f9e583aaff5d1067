import { expect } from '@jest/globals';
import {
  type Tether,
  TestFloor,
  httpJson,
  queryDatabase,
  startTether,
  tetherSignature,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';

/** What the standalone process's JSON log lines carry that these tests look at. */
interface LogLine {
  app?: string;
  msg?: string;
  context?: string;
  req?: { id?: string };
  agentId?: string;
  socketId?: string;
  contactId?: string;
}

const POOL_SIZE = 6;
const APPS = ['admin', 'sales', 'presales', 'service', 'gateway'] as const;

/**
 * Issue 9: `npm start` is one core with the five apps on top. PostgreSQL sees one application pool however many apps
 * there are, and each log line names the app whose work it is (libs/observability/README.md has the rule).
 */
describe('one process, shared parts (npm start)', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether({ env: { LOG_LEVEL: 'info', DATABASE_POOL_SIZE: String(POOL_SIZE) } });
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  function logLines(): LogLine[] {
    return tether.processes[0].child
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** A signed webhook with our own request id, so its log lines can be found. */
  async function webhook(line: 'sales' | 'presales' | 'service', requestId: string, from = uniquePhone()) {
    const raw = JSON.stringify({ callId: uniqueCallId(), from, to: '+15550000001' });
    const response = await httpJson<{ contactId: string; callId: string }>(
      `${tether.urls[line]}/v1/telephony/calls`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': requestId,
          'x-tether-signature': tetherSignature(tether.webhookSecret, 'POST', '/v1/telephony/calls', raw),
        },
        body: raw,
      },
    );
    expect(response.status).toBe(201);
    floor.line(line).callIds.add(response.body.callId);
    return response.body;
  }

  it('PostgreSQL sees one application pool, no bigger than its size, after traffic on every app', async () => {
    // every app touches the database: admin (agents, tokens), the gateway (sockets, presence, accepts) and the
    // three line apps, at once and more requests than the pool has connections
    const agents = await Promise.all(
      [0, 1, 2].map(() => floor.agent({ lines: ['sales', 'presales', 'service'], capacity: { voice: 4 } })),
    );
    const calls = await Promise.all(
      (['sales', 'presales', 'service'] as const).flatMap((line) =>
        [0, 1, 2, 3].map((n) => webhook(line, `pool-${line}-${n}-${Date.now()}`)),
      ),
    );
    const offers = await Promise.all(agents.map((agent) => agent.nextOffer()));
    await Promise.all(offers.map((offer, i) => agents[i].accept(offer.offerId)));
    expect(calls).toHaveLength(12);
    for (const app of APPS) expect((await fetch(`${tether.urls[app]}/health`)).status).toBe(200);

    const sessions = await queryDatabase<{ application_name: string; connections: number }>(
      tether.databaseUrl,
      `SELECT application_name, count(*)::int AS connections FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
       GROUP BY application_name`,
    );
    expect(sessions).toEqual([{ application_name: 'tether', connections: expect.any(Number) }]);
    expect(sessions[0].connections).toBeGreaterThanOrEqual(1);
    expect(sessions[0].connections).toBeLessThanOrEqual(POOL_SIZE);
  });

  it("each log line names the app whose work it is: a line's webhook, an admin request, an agent's socket", async () => {
    const stamp = Date.now();
    const adminRequest = `admin-${stamp}`;
    const created = await httpJson<{ id: string }>(`${tether.urls.admin}/v1/agents`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tether.adminToken}`,
        'content-type': 'application/json',
        'x-request-id': adminRequest,
      },
      body: JSON.stringify({ name: 'Logged Agent', lines: ['presales'] }),
    });
    expect(created.status).toBe(201);
    await floor.admin.deleteAgent(created.body.id);

    const agent = await floor.agent({ lines: ['service'] });
    const phone = uniquePhone();
    const webhookRequest = `webhook-${stamp}`;
    const call = await webhook('service', webhookRequest, phone);
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(call.contactId);
    expect(await agent.accept(offer.offerId)).toEqual(expect.objectContaining({ ok: true }));
    expect(await agent.complete(call.contactId, 'resolved')).toEqual(expect.objectContaining({ ok: true }));
    agent.close();

    const agentWork = (line: LogLine) =>
      line.agentId === agent.agentId &&
      ['agent connected', 'offer accepted', 'contact completed', 'agent disconnected'].includes(
        line.msg ?? '',
      );
    await waitFor(
      () =>
        logLines().filter(agentWork).length === 4 &&
        logLines().some((line) => line.req?.id === webhookRequest && line.msg === 'request completed') &&
        logLines().some((line) => line.req?.id === adminRequest && line.msg === 'request completed'),
      { what: "the requests' and the socket's log lines", timeoutMs: 5_000 },
    );
    const lines = logLines();

    // the webhook on the service line: its request log and what the intake logged while serving it
    const ofWebhook = lines.filter((line) => line.req?.id === webhookRequest);
    expect(ofWebhook.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['call queued', 'request completed']),
    );
    expect(new Set(ofWebhook.map((line) => line.app))).toEqual(new Set(['service']));

    const ofAdmin = lines.filter((line) => line.req?.id === adminRequest);
    expect(ofAdmin.map((line) => line.msg)).toContain('request completed');
    expect(new Set(ofAdmin.map((line) => line.app))).toEqual(new Set(['admin']));

    // the agent's socket: its connection, the events it sent (accept, complete) and its disconnection
    const ofSocket = lines.filter(agentWork);
    expect(ofSocket.map((line) => line.msg).sort()).toEqual(
      ['agent connected', 'agent disconnected', 'contact completed', 'offer accepted'].sort(),
    );
    expect(new Set(ofSocket.map((line) => line.app))).toEqual(new Set(['gateway']));

    // the shared parts were built once, by the core, and every line names one of the process's parts
    const coreModules = lines.filter((line) => line.msg === 'TetherCoreModule dependencies initialized');
    expect(coreModules.map((line) => line.app)).toEqual(['core']);
    for (const module of ['TypeOrmCoreModule', 'RealtimeModule', 'SchedulerModule', 'ContactsModule'])
      expect(lines.filter((line) => line.msg === `${module} dependencies initialized`)).toHaveLength(1);
    const migrations = lines.filter((line) => line.context === 'Persistence');
    expect(migrations.length).toBeGreaterThan(0);
    expect(new Set(migrations.map((line) => line.app))).toEqual(new Set(['core']));
    expect(new Set(lines.map((line) => line.app))).toEqual(new Set(['core', ...APPS]));

    // and personal data stays out of them
    expect(tether.logs()).not.toContain(phone);
  });

  it('SIGINT loses no log line: the asynchronous destination is written out before the process exits', async () => {
    const exit = await tether.processes[0].child.stop();
    expect(exit.code).toBe(0);
    // the process has exited; what it wrote last may still be on its way through the pipe to this reader
    await waitFor(() => logLines().at(-1)?.msg === 'tether stopped', {
      what: 'the last log line',
      timeoutMs: 5_000,
    });
    expect(logLines().at(-1)).toEqual(expect.objectContaining({ app: 'core', msg: 'tether stopped' }));
  });
});
