import { expect } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { io } from 'socket.io-client';
import {
  AppProcess,
  type ErrorBody,
  type ProcessExit,
  type QueueEvent,
  TelephonyClient,
  type Tether,
  type TetherAppProcess,
  TestFloor,
  queryDatabase,
  startTether,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';

/**
 * Lines are data: a fourth line is a row of `lines` plus an entry point of five lines, written here the way a
 * developer would write apps/billing/src/main.ts, compiled. It runs against the built dist beside the repository's
 * own admin and gateway processes, and is driven as the telephony platform, an agent and an admin drive any line.
 */
describe('a fourth line', () => {
  let tether: Tether;
  let floor: TestFloor;
  let dir: string;
  let entryPoint: string;
  let billing: TetherAppProcess;
  let telephony: TelephonyClient;

  beforeAll(async () => {
    tether = await startTether({ apps: ['admin', 'gateway'] });
    floor = new TestFloor(tether);
    dir = mkdtempSync(join(tmpdir(), 'tether-billing-'));
    entryPoint = join(dir, 'main.js');
    const lineApp = resolve(__dirname, '..', 'dist', 'libs', 'line-app', 'src');
    writeFileSync(
      entryPoint,
      [
        `const { runLineApp } = require(${JSON.stringify(lineApp)});`,
        '',
        "/** The billing line's entry point: its own number, its own IVR, no other line's menus. */",
        "void runLineApp('billing');",
        '',
      ].join('\n'),
    );
  });
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the entry point with the system's environment plus `env`, and waits for it to exit by itself. */
  async function exitOf(env: Record<string, string>): Promise<{ exit: ProcessExit; output: string }> {
    const child = AppProcess.spawn({
      label: 'billing (refused)',
      script: entryPoint,
      env: { ...tether.processEnv, ...env },
    });
    const timeout = setTimeout(() => void child.stop(0), 30_000);
    const exit = await child.exited;
    clearTimeout(timeout);
    return { exit, output: child.logs() };
  }

  it('refuses to start while the line is not a row of lines, saying how to add it', async () => {
    const { exit, output } = await exitOf({ BILLING_PORT: '1' });
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull(); // it exited by itself
    expect(output).toMatch(/line billing is not defined: add it to the lines table/);
  });

  it('refuses a BILLING_PORT that is not a port, naming it with the other bad variables', async () => {
    const { exit, output } = await exitOf({ BILLING_PORT: 'abc', TETHER_SWEEP_MS: '1' });
    expect(exit.code).toBe(78);
    expect(output).toMatch(/^\s*- BILLING_PORT\b/m);
    expect(output).toMatch(/^\s*- TETHER_SWEEP_MS\b/m);
  });

  describe('once it is a row', () => {
    beforeAll(async () => {
      await queryDatabase(
        tether.databaseUrl,
        `INSERT INTO lines (name, title) VALUES ('billing', 'Billing')`,
      );
    });

    it('with no BILLING_PORT (nor PORT) and no default_port it exits 78 naming BILLING_PORT', async () => {
      const { exit, output } = await exitOf({});
      expect(exit.code).toBe(78);
      expect(output).toMatch(/^\s*- BILLING_PORT: required/m);
    });

    describe('started on BILLING_PORT', () => {
      beforeAll(async () => {
        billing = await tether.startEntryPoint(entryPoint, {
          label: 'billing',
          portVariable: 'BILLING_PORT',
        });
        telephony = new TelephonyClient(billing.url, tether.webhookSecret);
      });

      it('takes a signed call, offers it to a billing agent, who accepts it', async () => {
        const agent = await floor.agent({ lines: ['billing'] });
        const callId = uniqueCallId('CA-billing');
        const created = await telephony.postCall({ callId, from: uniquePhone(), to: '+15550000004' });
        expect(created.status).toBe(201);
        expect(created.body.status).toBe('queued');

        const offer = await agent.nextOffer();
        expect(offer.contact).toEqual(
          expect.objectContaining({ id: created.body.contactId, line: 'billing' }),
        );
        const accepted = await agent.accept(offer.offerId);
        expect(accepted).toEqual(expect.objectContaining({ ok: true, contactId: created.body.contactId }));
        expect((await telephony.getCall(callId)).body).toEqual(
          expect.objectContaining({ status: 'connected', agent: { id: agent.agentId } }),
        );
        await agent.complete(created.body.contactId, 'resolved');
        await telephony.hangup(callId);
      });

      it("serves the line's routing rules: defaults until a PUT, which applies", async () => {
        const defaults = await floor.admin.getRouting('billing');
        expect(defaults).toEqual(
          expect.objectContaining({ line: 'billing', version: 0, offerTimeoutSeconds: 20 }),
        );
        const { line: _l, version: _v, updatedAt: _u, ...rules } = defaults;
        const put = await floor.admin.putRouting('billing', { ...rules, offerTimeoutSeconds: 45 });
        expect(put).toEqual(
          expect.objectContaining({ line: 'billing', version: 1, offerTimeoutSeconds: 45 }),
        );
        expect((await floor.admin.getRouting('billing')).offerTimeoutSeconds).toBe(45);
      });

      it('shows its waiting calls to supervisors with the other lines', async () => {
        const callId = uniqueCallId('CA-billing-wait');
        const created = await telephony.postCall({ callId, from: uniquePhone(), to: '+15550000004' });
        try {
          // the gateway reads the lines again within its cache's TTL (5 s): a fresh supervisor sees the new line
          await waitFor(
            async () =>
              (await supervisorQueue()).waiting.some(
                (w) => w.contactId === created.body.contactId && w.line === 'billing',
              ),
            { what: 'the billing call in a supervisor’s queue', timeoutMs: 15_000, intervalMs: 500 },
          );
        } finally {
          await telephony.hangup(callId);
        }
      });

      it('agents may serve it; a line that is not a row is still a 400 naming lines', async () => {
        const agent = await floor.admin.createAgent({ name: 'Biller', lines: ['billing', 'sales'] });
        expect([...agent.lines].sort()).toEqual(['billing', 'sales']);
        await floor.admin.deleteAgent(agent.id);
        const refused = await floor.admin.request('POST', '/v1/agents', {
          name: 'X',
          lines: ['billing', 'nope'],
        });
        expect(refused.status).toBe(400);
        expect((refused.body as ErrorBody).message).toMatch(/lines.*nope/);
      });
    });
  });

  /** One supervisor connection's first `queue` snapshot (sent on connect). */
  async function supervisorQueue(): Promise<QueueEvent> {
    const socket = io(`${tether.urls.gateway}/supervisors`, {
      auth: { token: tether.adminToken },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    try {
      return await new Promise<QueueEvent>((resolve, reject) => {
        socket.once('queue', resolve);
        socket.once('connect_error', reject);
      });
    } finally {
      socket.close();
    }
  }
});
