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

/**
 * The other end of a connection, against a real PostgreSQL: a closed socket, an instance that stops, and a restart
 * that finds agents left available with no connection and no grace. An agent left with no connection has their
 * offers revoked and (unless offline or already in one) their grace started, durably, in one transaction; and
 * `disconnected_at` is set only while they have no connection, which the routing snapshot relies on.
 */
describe('AgentPresenceService: disconnects, a stop, missed graces (real PostgreSQL)', () => {
  let db: SqlTestDatabase;
  let source: DataSource;
  let presence: AgentPresenceService;
  let config: TetherConfig;
  const revoked: string[] = [];
  const INSTANCE = 'presence-leave';

  const connect = (agentId: string, socketId: string, instance = INSTANCE) =>
    db.query(`INSERT INTO agent_connections (socket_id, agent_id, instance_id) VALUES ($1, $2, $3)`, [
      socketId,
      agentId,
      instance,
    ]);
  const presenceOf = async (agentId: string) =>
    (
      await db.query<{ state: string; disconnected_at: Date | null; connections: number; graces: Date[] }>(
        `SELECT p.state, p.disconnected_at,
                (SELECT count(*)::int FROM agent_connections c WHERE c.agent_id = p.agent_id) AS connections,
                coalesce((SELECT array_agg(j.run_at) FROM scheduled_jobs j
                           WHERE j.kind = 'agent.disconnect-grace' AND j.payload->>'agentId' = p.agent_id::text),
                         '{}') AS graces
           FROM agent_presence p WHERE p.agent_id = $1`,
        [agentId],
      )
    )[0];

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    source = await createDataSource(db.url, 4, 'presence-leave').initialize();
    await db.query(`INSERT INTO instances (id, app) VALUES ($1, 'gateway'), ('elsewhere', 'gateway')`, [
      INSTANCE,
    ]);
    config = { ...loadConfig({}), instanceId: INSTANCE };
    const offers = {
      revokePending: (_sql: unknown, agentId: string) => {
        revoked.push(agentId);
        return Promise.resolve([]);
      },
      announceRevoked: () => Promise.resolve(),
    } as unknown as OfferService;
    presence = new AgentPresenceService(
      source,
      config,
      offers,
      { request: () => undefined } as unknown as ContactDispatcher,
      new OfferPayloadBuilder(source),
      { wake: () => undefined } as unknown as DurableScheduler,
      {} as EventBus,
    );
  }, 60_000);
  afterAll(async () => {
    await presence?.beforeApplicationShutdown();
    await source?.destroy();
    await db?.drop();
  });

  it("the agent's last socket: grace started (disconnected_at, the job at its end) and offers revoked; not before", async () => {
    const agentId = await db.fixtures.agent({ connected: false });
    await connect(agentId, 'last-1');
    await connect(agentId, 'last-2');
    revoked.length = 0;

    await presence.disconnected(agentId, 'last-1');
    expect(await presenceOf(agentId)).toMatchObject({
      state: 'available',
      disconnected_at: null,
      connections: 1,
    });
    expect((await presenceOf(agentId)).graces).toEqual([]);
    expect(revoked).toEqual([]);

    await presence.disconnected(agentId, 'last-2');
    const after = await presenceOf(agentId);
    expect(after.connections).toBe(0);
    expect(after.disconnected_at).toBeInstanceOf(Date);
    expect(after.graces.map((at) => at.getTime())).toEqual([
      after.disconnected_at!.getTime() + config.agentDisconnectGraceSeconds * 1000,
    ]);
    expect(revoked).toEqual([agentId]);

    // a socket that closes again (the same id twice) starts no second grace
    await presence.disconnected(agentId, 'last-2');
    expect((await presenceOf(agentId)).graces).toHaveLength(1);
  });

  it('a connect that commits while the disconnect waits for the presence lock is seen: no grace, still connected', async () => {
    const agentId = await db.fixtures.agent({ connected: false });
    await connect(agentId, 'race-old');
    // another writer holds the agent's presence row (as connectBatch does while it inserts a connection)
    const holder = await db.session();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM agent_presence WHERE agent_id = $1 FOR NO KEY UPDATE`, [agentId]);
      const disconnecting = presence.disconnected(agentId, 'race-old');
      // the disconnect removed its connection and now waits for the row
      for (let i = 0; ; i++) {
        const [{ waiting }] = await db.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE '%FOR NO KEY UPDATE%' AND pid <> $1`,
          [holder.pid],
        );
        if (waiting > 0) break;
        if (i > 500) throw new Error('the disconnect never waited for the presence row');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await holder.query(
        `INSERT INTO agent_connections (socket_id, agent_id, instance_id) VALUES ($1, $2, $3)`,
        ['race-new', agentId, INSTANCE],
      );
      await holder.query('COMMIT');
      await disconnecting;
    } finally {
      await holder.end();
    }
    expect(await presenceOf(agentId)).toMatchObject({ disconnected_at: null, connections: 1, graces: [] });
  });

  it('a stop: disconnects in flight awaited, its other connections ended with graces, its row gone; other instances untouched', async () => {
    await presence.startHeartbeat('gateway');
    const mine = [
      await db.fixtures.agent({ connected: false }),
      await db.fixtures.agent({ connected: false }),
    ];
    const away = await db.fixtures.agent({ connected: false, state: 'away' });
    const offline = await db.fixtures.agent({ connected: false, state: 'offline' });
    const theirs = await db.fixtures.agent({ connected: false });
    await connect(mine[0], 'stop-a');
    await connect(mine[1], 'stop-b');
    await connect(away, 'stop-c');
    await connect(offline, 'stop-d');
    await connect(theirs, 'stop-e', 'elsewhere');
    revoked.length = 0;

    const closing = presence.disconnected(mine[0], 'stop-a');
    await presence.beforeApplicationShutdown();
    await closing;

    for (const agentId of [...mine, away]) {
      const row = await presenceOf(agentId);
      expect(row.connections).toBe(0);
      expect(row.disconnected_at).toBeInstanceOf(Date);
      expect(row.graces).toHaveLength(1);
    }
    expect(await presenceOf(offline)).toMatchObject({ state: 'offline', connections: 0, graces: [] });
    expect(await presenceOf(theirs)).toMatchObject({ disconnected_at: null, connections: 1, graces: [] });
    expect(revoked.sort()).toEqual([...mine, away, offline].sort());
    const instances = await db.query<{ id: string }>(
      `SELECT id FROM instances WHERE id IN ($1, 'elsewhere')`,
      [INSTANCE],
    );
    expect(instances.map((i) => i.id)).toEqual(['elsewhere']);
  });

  it('a start finds agents available or away with no connection and no grace (a stop that lost its disconnects): their grace starts', async () => {
    const lost = await db.fixtures.agent({ connected: false });
    const lostAway = await db.fixtures.agent({ connected: false, state: 'away' });
    const offline = await db.fixtures.agent({ connected: false, state: 'offline' });
    const connected = await db.fixtures.agent({ connected: false });
    await connect(connected, 'start-a', 'elsewhere');
    const inGrace = await db.fixtures.agent({ connected: false });
    await presence.disconnected(inGrace, 'never-connected');
    const graceBefore = (await presenceOf(inGrace)).graces;
    expect(graceBefore).toHaveLength(1);

    await presence.startHeartbeat('gateway');
    await presence.beforeApplicationShutdown();

    for (const agentId of [lost, lostAway]) {
      const row = await presenceOf(agentId);
      expect(row.disconnected_at).toBeInstanceOf(Date);
      expect(row.graces).toHaveLength(1);
    }
    expect(await presenceOf(offline)).toMatchObject({ disconnected_at: null, graces: [] });
    expect(await presenceOf(connected)).toMatchObject({ disconnected_at: null, connections: 1, graces: [] });
    expect((await presenceOf(inGrace)).graces).toEqual(graceBefore);
  });
  it("a beat reaps what dead instances left: a stale or missing instance's connections (graces start), then the dead rows; re-registers its own", async () => {
    await presence.startHeartbeat('gateway');
    const onCrashed = await db.fixtures.agent({ connected: false });
    const onVanished = await db.fixtures.agent({ connected: false });
    const onLive = await db.fixtures.agent({ connected: false });
    await db.query(
      `INSERT INTO instances (id, app, heartbeat_at) VALUES ('crashed', 'gateway', now() - interval '1 minute')`,
    );
    await db.query(`UPDATE instances SET heartbeat_at = now() WHERE id = 'elsewhere'`);
    await connect(onCrashed, 'dead-a', 'crashed');
    await connect(onVanished, 'dead-b', 'vanished'); // its row was deleted already
    await connect(onLive, 'live-a', 'elsewhere');
    // this instance's own row went missing (another instance took it for dead during a long pause)
    await db.query(`DELETE FROM instances WHERE id = $1`, [INSTANCE]);

    await presence.beat();

    for (const agentId of [onCrashed, onVanished]) {
      const row = await presenceOf(agentId);
      expect(row.connections).toBe(0);
      expect(row.graces).toHaveLength(1);
    }
    expect(await presenceOf(onLive)).toMatchObject({ disconnected_at: null, connections: 1, graces: [] });
    const instances = await db.query<{ id: string }>(`SELECT id FROM instances ORDER BY id`);
    expect(instances.map((i) => i.id)).toEqual(['elsewhere', INSTANCE].sort());
    await presence.beforeApplicationShutdown();
  });
});
