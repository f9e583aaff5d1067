import { expect } from '@jest/globals';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AdminClient, AgentClient, queryDatabase, waitFor } from '@tether/testing';
import { type Standalone, startStandaloneIn } from './support/checkout-copy';

const REPO = resolve(__dirname, '..');
const ADMIN_TOKEN = 'graceful-stop-admin-token-0123456789abcdef';
const GRACE_SECONDS = 3;

/** the embedded cluster `npm start` runs in `dataDir`, as its superuser over TCP */
function embeddedUrl(dataDir: string, port: number): string {
  const password = readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/tether`;
}

interface PresenceRow {
  agent_id: string;
  state: string;
  disconnected_at: Date | null;
  connections: number;
  graces: number;
}

/**
 * `npm start` stops in order: the apps, then the shared core, then its embedded PostgreSQL, whatever signal it got
 * (Ctrl-C, a service manager's SIGTERM). The package that runs the embedded server used to stop it (and exit the
 * process) on the same signal, concurrently: the disconnects of the agents' closing sockets failed with "the
 * database system is shutting down", and those agents stayed available with no connection and no grace. Now the
 * stop hands each agent's connection over as a disconnect: their grace is running when the process has exited,
 * and they go offline when it ends, on the next start.
 */
describe('npm start stops in order, its embedded database last', () => {
  let dataDir: string;
  let running: Standalone | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tether-e2e-stop-'));
    chmodSync(dataDir, 0o711); // as root, the embedded server runs as the postgres user
  });
  afterAll(async () => {
    await running?.app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (): Promise<Standalone> => {
    running = await startStandaloneIn(REPO, undefined, {
      TETHER_DATA_DIR: dataDir,
      TETHER_ADMIN_TOKEN: ADMIN_TOKEN,
      TETHER_AGENT_DISCONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
      LOG_LEVEL: 'info',
    });
    return running;
  };

  const presenceOf = (standalone: Standalone, agentIds: string[]) =>
    queryDatabase<PresenceRow>(
      embeddedUrl(standalone.dataDir, standalone.embeddedPgPort),
      `SELECT p.agent_id, p.state, p.disconnected_at,
              (SELECT count(*)::int FROM agent_connections c WHERE c.agent_id = p.agent_id) AS connections,
              (SELECT count(*)::int FROM scheduled_jobs j
                WHERE j.kind = 'agent.disconnect-grace' AND j.payload->>'agentId' = p.agent_id::text
                  AND j.created_at < $2) AS graces
         FROM agent_presence p WHERE p.agent_id = ANY ($1::uuid[]) ORDER BY p.agent_id`,
      [agentIds, new Date(Date.now() - 5_000)],
    );

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} with agents connected: exit 0, no write fails, each agent's grace is running; on the next start they go offline`, async () => {
      let standalone = running ?? (await start());
      const admin = new AdminClient(standalone.urls.admin, ADMIN_TOKEN);
      const agents: AgentClient[] = [];
      for (let i = 0; i < 4; i++) {
        const created = await admin.createAgent({ name: `stopping ${signal} ${i}`, lines: ['sales'] });
        const client = new AgentClient(
          standalone.urls.gateway,
          await admin.issueToken(created.id),
          created.id,
        );
        await client.connect();
        expect((await client.setStatus(i === 3 ? 'away' : 'available')).ok).toBe(true);
        agents.push(client);
      }
      const ids = agents.map((agent) => agent.agentId);

      const exit = await standalone.app.kill(signal);
      expect(exit.code).toBe(0);
      const logs = standalone.app.logs();
      expect(logs).not.toMatch(/disconnect handling failed|database system is shutting down|leaving failed/);
      expect(logs).toContain('tether stopped');
      for (const agent of agents) agent.close();

      // started again at least 5 s after the stop: a grace scheduled before then was scheduled by the stop
      await new Promise((resolveWait) => setTimeout(resolveWait, 5_000));
      standalone = await start();
      const after = await presenceOf(standalone, ids);
      expect(after).toHaveLength(4);
      for (const row of after) {
        expect(row.connections).toBe(0);
        expect(row.disconnected_at).toBeInstanceOf(Date);
        expect(row.disconnected_at!.getTime()).toBeLessThan(Date.now() - 5_000);
        // scheduled by the stop; run already if the grace ended while this start was under way
        expect(row.state === 'offline' || row.graces === 1).toBe(true);
      }
      await waitFor(async () => (await presenceOf(standalone, ids)).every((row) => row.state === 'offline'), {
        what: `the agents offline once their ${GRACE_SECONDS} s grace ended`,
        timeoutMs: 15_000,
      });
    }, 120_000);
  }
});
