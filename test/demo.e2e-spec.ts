import { expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppProcess,
  type Tether,
  TelephonyClient,
  queryDatabase,
  startTether,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';

/**
 * The first fifteen minutes: `npm run demo`, the example agent client and `npm run sign`, each run as a newcomer runs
 * it, against a Tether whose secrets were generated at its first start (no TETHER_ADMIN_TOKEN, no
 * TETHER_WEBHOOK_SECRET): the tools must find them the documented way (the admin token file in the data directory,
 * the generated webhook secret `npm run secrets` reads).
 */
describe('the first fifteen minutes', () => {
  let tether: Tether;
  let dataDir: string;
  let adminToken: string;
  let webhookSecret: string;
  const started: AppProcess[] = [];
  /** what `npm start`'s environment says about where things are: its database, data directory and ports */
  let toolEnv: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tether-demo-'));
    tether = await startTether({
      // empty means unset to Tether's configuration: the secrets are generated, as on a first `npm start`
      env: { TETHER_ADMIN_TOKEN: '', TETHER_WEBHOOK_SECRET: '', TETHER_DATA_DIR: dataDir },
      startTimeoutMs: 90_000,
    });
    adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    [{ value: webhookSecret }] = await queryDatabase<{ value: string }>(
      tether.databaseUrl,
      `SELECT value FROM settings WHERE key = 'webhook_secret'`,
    );
    const port = (url: string) => new URL(url).port;
    toolEnv = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      DATABASE_URL: tether.databaseUrl,
      TETHER_DATA_DIR: dataDir,
      ADMIN_PORT: port(tether.urls.admin),
      GATEWAY_PORT: port(tether.urls.gateway),
      SALES_PORT: port(tether.urls.sales),
      PRESALES_PORT: port(tether.urls.presales),
      SERVICE_PORT: port(tether.urls.service),
    };
  }, 120_000);
  afterAll(async () => {
    await Promise.all(started.map((child) => child.stop()));
    await tether?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const spawn = (label: string, script: string, args: string[], env = toolEnv) => {
    const child = AppProcess.spawn({ label, script, args, env });
    started.push(child);
    return child;
  };

  describe('npm run demo', () => {
    it('runs for 60 s, every call it placed is completed, and Ctrl-C ends it with exit code 0', async () => {
      const demo = spawn('npm run demo', 'dist/demo/main.js', [
        '--rate',
        '12',
        '--agents',
        '4',
        '--drain',
        '90',
      ]);
      await waitFor(() => demo.stdout().includes('Watch it in the console'), {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `the demo to start (output so far: ${demo.logs()})`,
      });
      expect(demo.stdout()).toContain(`http://localhost:${toolEnv.ADMIN_PORT}/console`);
      await new Promise((done) => setTimeout(done, 60_000));
      expect(demo.running).toBe(true);

      const { code, signal } = await demo.kill('SIGINT');
      const output = demo.stdout();
      expect({ code, signal, logs: code === 0 ? '' : demo.logs() }).toEqual({
        code: 0,
        signal: null,
        logs: '',
      });

      const placed = Number(/Demo over: (\d+) of (\d+) calls completed/.exec(output)?.[2]);
      const completed = Number(/Demo over: (\d+) of/.exec(output)?.[1]);
      expect(placed).toBeGreaterThanOrEqual(5); // 12 a minute for 60 s: a handful at least
      // on a failure, the demo's own story says which call did not finish and why
      expect(`${completed} of ${placed}${completed === placed ? '' : `\n${demo.logs()}`}`).toBe(
        `${placed} of ${placed}`,
      );
      const contacts = await queryDatabase<{ status: string; resolution: string | null; completed: boolean }>(
        tether.databaseUrl,
        `SELECT status, resolution, completed_at IS NOT NULL AS completed FROM contacts WHERE external_id LIKE 'demo-%'`,
      );
      expect(contacts).toHaveLength(placed);
      for (const contact of contacts)
        expect(contact).toEqual({ status: 'ended', resolution: expect.any(String), completed: true });

      // what it printed: the calls and what agents did with them, never a phone number in clear
      expect(output).toMatch(/ call +call #1 on (sales|presales|service)/);
      expect(output).toMatch(/ accept +\w+ takes call #1/);
      expect(output).toMatch(/ done +\w+ completes call #1/);
      expect(output).not.toMatch(/\+?1?555\d{7}/);
      expect(output).toMatch(/\+1•+\d\d/);

      // the data stays: the seeded agents, the lines' intents, the customers
      const agents = await queryDatabase<{ name: string }>(
        tether.databaseUrl,
        `SELECT name FROM agents WHERE name LIKE '% (demo)' ORDER BY name`,
      );
      expect(agents.map((a) => a.name)).toEqual([
        'Ada (demo)',
        'Ben (demo)',
        'Chloe (demo)',
        'Dmitri (demo)',
      ]);
    }, 240_000);

    it('a second run reuses what the first seeded', async () => {
      const demo = spawn('npm run demo (again)', 'dist/demo/main.js', ['--agents', '4', '--duration', '1']);
      const { code } = await demo.exited;
      expect({ code, logs: code === 0 ? '' : demo.logs() }).toEqual({ code: 0, logs: '' });
      expect(demo.stdout()).toMatch(/4 agents \(0 new\), 0 intents added, 0 customers new/);
      const [{ count }] = await queryDatabase<{ count: number }>(
        tether.databaseUrl,
        `SELECT count(*)::int AS count FROM agents WHERE name LIKE '% (demo)'`,
      );
      expect(count).toBe(4);
    }, 120_000);
  });

  describe('examples/agent-client', () => {
    it('connects with an agent token, goes available, accepts an offer and completes the contact', async () => {
      const admin = tether.admin(adminToken);
      const agent = await admin.createAgent({ name: 'Example', lines: ['presales'] });
      const token = await admin.issueToken(agent.id);
      const client = spawn('npm run example:agent', 'dist/examples/agent-client/main.js', [
        '--token',
        token,
        '--gateway',
        tether.urls.gateway,
        '--talk-seconds',
        '1',
      ]);
      await waitFor(() => client.stdout().includes('connected, available'), {
        timeoutMs: 15_000,
        what: `the example client to connect (output: ${client.logs()})`,
      });

      const line = new TelephonyClient(tether.urls.presales, webhookSecret);
      const callId = uniqueCallId('CAexample');
      const call = await line.postCall({ callId, from: uniquePhone(), to: '+15550000002' });
      expect(call.status).toBe(201);
      await waitFor(
        async () => {
          const [row] = await queryDatabase<{ agent_id: string; resolution: string | null }>(
            tether.databaseUrl,
            `SELECT agent_id, resolution FROM contacts WHERE id = $1`,
            [call.body.contactId],
          );
          return row?.resolution === 'resolved' && row.agent_id === agent.id;
        },
        {
          timeoutMs: 15_000,
          intervalMs: 100,
          what: `the example client to complete the call (${client.logs()})`,
        },
      );
      expect(client.stdout()).toContain(`accepted contact ${call.body.contactId}`);
      expect(client.stdout()).toContain(`completed ${call.body.contactId}`);

      const { code } = await client.stop();
      expect(code).toBe(0);
      const [{ state }] = await queryDatabase<{ state: string }>(
        tether.databaseUrl,
        `SELECT state FROM agent_presence WHERE agent_id = $1`,
        [agent.id],
      );
      expect(state).toBe('offline');
    }, 60_000);

    it('a refused token is reported and ends the client (a control: nothing to retry)', async () => {
      const client = spawn('npm run example:agent (bad token)', 'dist/examples/agent-client/main.js', [
        '--token',
        'not-a-token',
        '--gateway',
        tether.urls.gateway,
      ]);
      const { code } = await client.exited;
      expect(code).toBe(1);
      expect(client.stderr()).toMatch(/^refused: /m);
    }, 30_000);
  });

  describe('npm run sign', () => {
    const body = () =>
      JSON.stringify({
        callId: uniqueCallId('CAsign'),
        from: uniquePhone(),
        to: '+15550000003',
        ivr: { intent: 'billing' },
      });

    it('prints a header, made with the generated development secret, that a line app accepts (201)', async () => {
      const raw = body();
      const sign = spawn('npm run sign', 'dist/libs/telephony/src/cli/sign-request.js', [
        'POST',
        '/v1/telephony/calls',
        raw,
        '--url',
        tether.urls.service,
      ]);
      expect((await sign.exited).code).toBe(0);
      const header = /^X-Tether-Signature: (t=\d+,v2=[0-9a-f]{64})$/m.exec(sign.stdout())?.[1];
      expect(header).toBeDefined();
      const post = (signature: string, sent = raw) =>
        fetch(`${tether.urls.service}/v1/telephony/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tether-signature': signature },
          body: sent,
        });
      // the control: the same header over another body is refused
      expect((await post(header!, body())).status).toBe(401);
      expect((await post(header!)).status).toBe(201);

      // the printed curl line works as printed (another call: the header above is spent on this one's body)
      const again = spawn('npm run sign (curl)', 'dist/libs/telephony/src/cli/sign-request.js', [
        'POST',
        '/v1/telephony/calls',
        body(),
        '--url',
        tether.urls.service,
      ]);
      expect((await again.exited).code).toBe(0);
      const curl = again
        .stdout()
        .split('\n')
        .find((l) => l.startsWith('curl '));
      expect(curl).toBeDefined();
      const answer = execFileSync('sh', ['-c', `${curl!} -o /dev/null -w '%{http_code}'`], {
        encoding: 'utf8',
      });
      expect(answer).toBe('201');
    }, 30_000);

    it('--header-only prints the value alone; a GET is signed over an empty body', async () => {
      const raw = body();
      const callId = (JSON.parse(raw) as { callId: string }).callId;
      const line = new TelephonyClient(tether.urls.service, webhookSecret);
      expect((await line.postCall(raw)).status).toBe(201);
      const path = `/v1/telephony/calls/${callId}`;
      const sign = spawn('npm run sign -- GET', 'dist/libs/telephony/src/cli/sign-request.js', [
        '--header-only',
        'GET',
        path,
      ]);
      expect((await sign.exited).code).toBe(0);
      const header = sign.stdout().trim();
      expect(header).toMatch(/^t=\d+,v2=[0-9a-f]{64}$/);
      const get = await fetch(`${tether.urls.service}${path}`, { headers: { 'x-tether-signature': header } });
      expect(get.status).toBe(200);
      expect(((await get.json()) as { status: string }).status).toBe('queued');
    }, 30_000);
  });
});
