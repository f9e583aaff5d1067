import type { DataSource } from 'typeorm';
import { loadConfig, type TetherConfig } from '@tether/config';
import { createDataSource } from '@tether/persistence';
import type { EventBus } from '@tether/realtime';
import type { DurableScheduler } from '@tether/scheduler';
import { createSqlTestDatabase, type SqlTestDatabase } from '@tether/testing';
import { AgentPresenceService } from './agent-presence.service';
import type { ContactDispatcher } from './contact-dispatcher.service';
import { OfferPayloadBuilder } from './offer-payload.builder';
import type { OfferService } from './offer.service';

/**
 * A connect storm against a real PostgreSQL: the handshakes that arrive together are written with one statement
 * (their connections, their presence), and each still gets its own state, lines and pending offers, durable when
 * its call resolves. The positive control: handshakes one after the other take one statement each.
 */
describe('AgentPresenceService.connected: concurrent handshakes in one statement (real PostgreSQL)', () => {
  let db: SqlTestDatabase;
  let source: DataSource;
  let presence: AgentPresenceService;
  const requested: string[] = [];
  const INSTANCE = 'presence-storm';

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    source = await createDataSource(db.url, 4, 'presence-storm').initialize();
    await db.query(`INSERT INTO instances (id, app) VALUES ($1, 'gateway')`, [INSTANCE]);
    const config: TetherConfig = { ...loadConfig({}), instanceId: INSTANCE };
    const dispatcher = { request: (line: string) => requested.push(line) } as unknown as ContactDispatcher;
    presence = new AgentPresenceService(
      source,
      config,
      {} as OfferService,
      dispatcher,
      new OfferPayloadBuilder(source),
      {} as DurableScheduler,
      {} as EventBus,
    );
  }, 60_000);
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  it('N handshakes in the same tick: one statement; each gets its state, lines and pending offers; rows durable', async () => {
    const agents: string[] = [];
    for (let i = 0; i < 12; i++)
      agents.push(
        await db.fixtures.agent({
          connected: false,
          state: i === 1 ? 'away' : 'available',
          lines: ['sales'],
        }),
      );
    const { offerId } = await db.fixtures.offered(agents[0], { line: 'sales' });
    await db.query(`UPDATE agent_presence SET disconnected_at = now() WHERE agent_id = ANY($1)`, [agents]);
    const before = presence.connectBatches;
    requested.length = 0;
    // the first agent with two sockets at once
    const sockets = [
      ...agents.map((agentId, i) => ({ agentId, socketId: `storm-${i}` })),
      { agentId: agents[0], socketId: 'storm-0b' },
    ];
    const results = await Promise.all(
      sockets.map(({ agentId, socketId }) => presence.connected(agentId, socketId)),
    );
    expect(presence.connectBatches - before).toBe(1);
    expect(results[0].pending.map((offer) => offer.offerId)).toEqual([offerId]);
    expect(results[12].pending.map((offer) => offer.offerId)).toEqual([offerId]);
    expect(results.slice(1, 12).every((r) => r.pending.length === 0)).toBe(true);
    expect(results[1].state).toBe('away');
    expect(results.filter((r) => r.state === 'available')).toHaveLength(12);
    expect(results.every((r) => r.lines.join() === 'sales')).toBe(true);
    expect(requested).toEqual(['sales']); // one routing request per line, not per socket
    const rows = await db.query<{ socket_id: string; agent_id: string }>(
      `SELECT socket_id, agent_id::text FROM agent_connections WHERE instance_id = $1 ORDER BY socket_id`,
      [INSTANCE],
    );
    expect(rows).toEqual(
      sockets
        .map(({ agentId, socketId }) => ({ socket_id: socketId, agent_id: agentId }))
        .sort((a, b) => a.socket_id.localeCompare(b.socket_id)),
    );
    const [{ gone }] = await db.query<{ gone: number }>(
      `SELECT count(*)::int AS gone FROM agent_presence WHERE agent_id = ANY($1) AND disconnected_at IS NOT NULL`,
      [agents],
    );
    expect(gone).toBe(0);
  });

  it('positive control: handshakes one after the other take one statement each; an unknown agent is offline', async () => {
    const agentId = await db.fixtures.agent({ connected: false });
    const before = presence.connectBatches;
    for (const socketId of ['alone-1', 'alone-2', 'alone-3']) await presence.connected(agentId, socketId);
    expect(presence.connectBatches - before).toBe(3);
    // an agent without a presence row (removed meanwhile) comes back offline with no lines, the others unaffected
    const ghost = await db.fixtures.agent({ connected: false });
    await db.query(`DELETE FROM agent_presence WHERE agent_id = $1`, [ghost]);
    const [ghostResult, other] = await Promise.all([
      presence.connected(ghost, 'ghost-1'),
      presence.connected(agentId, 'alone-4'),
    ]);
    expect(ghostResult).toEqual({ state: 'offline', lines: [], pending: [] });
    expect(other.state).toBe('available');
  });

  it('a storm larger than one batch is written in several, in arrival order, and every call resolves', async () => {
    const agentId = await db.fixtures.agent({ connected: false });
    const before = presence.connectBatches;
    const results = await Promise.all(
      Array.from({ length: 1_200 }, (_, i) => presence.connected(agentId, `big-${i}`)),
    );
    expect(results).toHaveLength(1_200);
    expect(presence.connectBatches - before).toBe(3); // 500 + 500 + 200
    const [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM agent_connections WHERE socket_id LIKE 'big-%'`,
    );
    expect(n).toBe(1_200);
  });
});
