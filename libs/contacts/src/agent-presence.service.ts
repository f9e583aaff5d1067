import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { inTransaction, one, retryDeadlock, rows, StatementBatcher } from '@tether/persistence';
import { EventBus, OfferPayload, OfferRevokeReason } from '@tether/realtime';
import { Line, PresenceState } from '@tether/routing';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import { ContactDispatcher } from './contact-dispatcher.service';
import { OfferPayloadBuilder } from './offer-payload.builder';
import { OfferService, RevokedOffer } from './offer.service';

/** an instance that has not beaten for this long is dead: its agents' connections are dropped */
const INSTANCE_DEAD_AFTER_SECONDS = 20;

/** the most connecting sockets one statement writes (a bigger storm takes several batches, one after the other) */
const CONNECT_BATCH_MAX = 500;

export interface ConnectedAgent {
  state: PresenceState;
  lines: Line[];
  pending: OfferPayload[];
}

/**
 * Agents' presence: what they chose (available/away/offline) and whether they are reachable (live sockets, kept in
 * agent_connections per gateway instance). A dropped connection revokes pending offers at once; the agent stays
 * "signed in" (worth a sticky wait) for a grace period, then goes offline unless they reconnect.
 */
@Injectable()
export class AgentPresenceService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(AgentPresenceService.name);
  private heartbeat?: NodeJS.Timeout;
  /** disconnects being handled (`disconnected`), awaited before the instance leaves */
  private readonly disconnecting = new Set<Promise<void>>();
  /** the app this instance beats as (set by `startHeartbeat`) */
  private app = 'gateway';

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly offers: OfferService,
    private readonly dispatcher: ContactDispatcher,
    private readonly payloads: OfferPayloadBuilder,
    private readonly scheduler: DurableScheduler,
    private readonly bus: EventBus,
  ) {}

  /** Gateways call this at start: beat regularly, and reap the connections of instances that stopped beating. */
  async startHeartbeat(app: string): Promise<void> {
    this.app = app;
    await this.dataSource.query(
      `INSERT INTO instances (id, app) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), started_at = now()`,
      [this.config.instanceId, app],
    );
    // a restarted instance with the same id: its old sockets are gone
    await this.reapConnections(`instance_id = $1`, [this.config.instanceId]);
    await this.startMissedGraces();
    this.heartbeat = setInterval(() => {
      void this.beat().catch((error: Error) => this.logger.warn(`heartbeat failed: ${error.message}`));
    }, 5_000);
    this.heartbeat.unref();
  }

  onApplicationShutdown(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /**
   * Beats (re-registering if this instance's row is gone), then reaps what dead instances left: the connections of
   * every instance that is not beating (its row stale or gone), and the rows of dead instances with no connection
   * left, so a crashed process (its id is hostname-pid) does not stay in the table forever.
   */
  async beat(): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO instances (id, app) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
      [this.config.instanceId, this.app],
    );
    await this.reapConnections(
      `instance_id NOT IN (SELECT id FROM instances WHERE heartbeat_at >= now() - make_interval(secs => $1))`,
      [INSTANCE_DEAD_AFTER_SECONDS],
    );
    await this.dataSource.query(
      `DELETE FROM instances i WHERE i.heartbeat_at < now() - make_interval(secs => $1)
          AND NOT EXISTS (SELECT 1 FROM agent_connections c WHERE c.instance_id = i.id)`,
      [INSTANCE_DEAD_AFTER_SECONDS],
    );
  }

  /**
   * Agents still available or away with no connection anywhere and no grace running: a stop that lost its
   * disconnects (every stop of `npm start` before the database was stopped last) left them so, reachable by nobody
   * and never offline. Their grace starts now, as if their last socket had just closed.
   */
  private async startMissedGraces(): Promise<void> {
    const missed = await rows<{ agent_id: string }>(
      this.dataSource.manager,
      `SELECT p.agent_id FROM agent_presence p
        WHERE p.state <> 'offline' AND p.disconnected_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = p.agent_id)`,
    );
    if (missed.length === 0) return;
    this.logger.log({ agents: missed.length }, 'agents without a connection or a grace: their grace starts');
    await this.endConnections(
      `false`,
      [],
      'agent_disconnected',
      missed.map((row) => row.agent_id),
    );
  }

  private reapConnections(where: string, params: unknown[]): Promise<void> {
    return this.endConnections(where, params, 'agent_disconnected');
  }

  /**
   * A socket authenticated: its connection is recorded and the agent's `disconnected_at` cleared (durable when this
   * resolves). Returns the agent's state and the offers still pending for them (to re-send).
   *
   * Concurrent handshakes (a connect storm: a gateway restart, a shift starting) are written together: the calls made
   * while a batch runs, or in the same tick, go in the next batch, one statement for all of them (`connectBatch`),
   * plus one read of their pending offers' payloads.
   */
  connected(agentId: string, socketId: string): Promise<ConnectedAgent> {
    return this.connects.submit({ agentId, socketId });
  }

  private readonly connects = new StatementBatcher<{ agentId: string; socketId: string }, ConnectedAgent>(
    (batch) => this.connectBatch(batch),
    CONNECT_BATCH_MAX,
  );

  /** statements written for connecting sockets since start (one per batch): what the connect-storm test counts */
  get connectBatches(): number {
    return this.connects.batches;
  }

  /**
   * One statement for a batch of connecting sockets: their connections inserted, their agents' presence rows
   * locked in agent id order (a batch and another multi-row writer cannot wait on each other in a cycle the other
   * way round; a deadlock with one that locks in another order is retried) and `disconnected_at` cleared, their
   * pending offers' ids read; then one read of those offers' payloads.
   */
  private async connectBatch(
    batch: readonly { agentId: string; socketId: string }[],
  ): Promise<ConnectedAgent[]> {
    const found = await retryDeadlock(() =>
      rows<{ agent_id: string; state: PresenceState; lines: Line[]; pending: string[] }>(
        this.dataSource.manager,
        `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::uuid[]) AS i(socket_id, agent_id)
         ), inserted AS (
           INSERT INTO agent_connections (socket_id, agent_id, instance_id)
           SELECT socket_id, agent_id, $3 FROM input ON CONFLICT (socket_id) DO NOTHING
         ), locked AS (
           SELECT p.agent_id FROM agent_presence p WHERE p.agent_id IN (SELECT agent_id FROM input)
           ORDER BY p.agent_id FOR NO KEY UPDATE OF p
         ), updated AS (
           UPDATE agent_presence p SET disconnected_at = NULL FROM agents a, locked l
           WHERE a.id = p.agent_id AND p.agent_id = l.agent_id
           RETURNING p.agent_id, p.state, a.lines
         )
         SELECT u.agent_id, u.state, u.lines,
                coalesce((SELECT array_agg(o.id ORDER BY o.created_at) FROM offers o
                          WHERE o.agent_id = u.agent_id AND o.state = 'pending' AND o.expires_at > now()),
                         '{}') AS pending
         FROM updated u`,
        [batch.map((c) => c.socketId), batch.map((c) => c.agentId), this.config.instanceId],
      ),
    );
    const byAgent = new Map(found.map((row) => [row.agent_id, row]));
    const payloads = new Map(
      (await this.payloads.buildMany(found.flatMap((row) => row.pending))).map((offer) => [
        offer.offerId,
        offer,
      ]),
    );
    const lines = new Set<Line>();
    for (const row of found) if (row.state === 'available') for (const line of row.lines) lines.add(line);
    for (const line of lines) this.dispatcher.request(line);
    return batch.map(({ agentId }) => {
      const row = byAgent.get(agentId);
      return {
        state: row?.state ?? 'offline',
        lines: row?.lines ?? [],
        pending: (row?.pending ?? []).flatMap((id) => payloads.get(id) ?? []),
      };
    });
  }

  /**
   * A socket closed: its connection is removed and, if it was the agent's last, their grace starts and their pending
   * offers are revoked, in one transaction (`endConnections`). Awaited at shutdown before the instance leaves.
   */
  async disconnected(agentId: string, socketId: string): Promise<void> {
    const work = this.endConnections(`socket_id = $1`, [socketId], 'agent_disconnected', [agentId]);
    this.disconnecting.add(work);
    try {
      await work;
    } finally {
      this.disconnecting.delete(work);
    }
  }

  /**
   * The instance stops (after its apps closed, before the pool does): the disconnects its closing sockets started
   * are awaited, then whatever connections it still holds end as theirs would (`endConnections`: each agent left
   * with none starts the grace, which any instance's scheduler, or this one's after a restart, ends), and its row
   * goes, so no other instance waits for it to stop beating. Before this, a stop lost the disconnects still running
   * when the pool closed: those agents stayed available, neither connected nor in a grace, until a restarted
   * instance reaped them (bench/README.md, "Session 11").
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.heartbeat) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await Promise.allSettled([...this.disconnecting]);
    try {
      await this.endConnections(`instance_id = $1`, [this.config.instanceId], 'agent_disconnected');
      await this.dataSource.query(`DELETE FROM instances WHERE id = $1`, [this.config.instanceId]);
    } catch (error) {
      this.logger.warn(
        `leaving failed (its agents' connections are reaped when it stops beating): ${(error as Error).message}`,
      );
    }
  }

  /**
   * Connections end (`where` over agent_connections, with `params`): removed, and each of their agents (and of
   * `agents`) left with no connection anywhere has their pending offers revoked and, unless offline or already in
   * one, starts the grace: `disconnected_at` set, the grace's end scheduled. One transaction: a crash cannot leave
   * an agent without a connection and outside a grace (available to nobody, yet never offline).
   *
   * Races with a connecting socket of the same agent (connectBatch inserts the connection and clears
   * `disconnected_at` in one statement, under the presence row's lock): the presence rows are locked (agent id
   * order, as connectBatch) before the next statement looks for connections, so a connect that committed first is
   * seen (no grace), and one that comes after waits and clears `disconnected_at` again. So `disconnected_at` is set
   * only while the agent has no connection, which the routing snapshot's candidates rely on.
   */
  private async endConnections(
    where: string,
    params: unknown[],
    reason: OfferRevokeReason,
    agents: readonly string[] = [],
  ): Promise<void> {
    const ended = await inTransaction(this.dataSource, async (tx) => {
      const dropped = await rows<{ agent_id: string }>(
        tx,
        `DELETE FROM agent_connections WHERE ${where} RETURNING agent_id`,
        params,
      );
      const ids = [...new Set([...dropped.map((d) => d.agent_id), ...agents])].sort();
      if (ids.length === 0) return { graced: [], revoked: [] };
      await tx.query(
        `SELECT 1 FROM agent_presence WHERE agent_id = ANY ($1::uuid[]) ORDER BY agent_id FOR NO KEY UPDATE`,
        [ids],
      );
      const gone = await rows<{ agent_id: string; disconnected_at: Date | null }>(
        tx,
        `WITH gone AS (
           SELECT g.agent_id FROM unnest($1::uuid[]) g(agent_id)
            WHERE NOT EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = g.agent_id)
         ), graced AS (
           UPDATE agent_presence p SET disconnected_at = now() FROM gone g
            WHERE p.agent_id = g.agent_id AND p.state <> 'offline' AND p.disconnected_at IS NULL
           RETURNING p.agent_id, p.disconnected_at
         )
         SELECT g.agent_id, gr.disconnected_at FROM gone g LEFT JOIN graced gr USING (agent_id)`,
        [ids],
      );
      const graceSeconds = this.config.agentDisconnectGraceSeconds;
      const graced = gone.flatMap((row) =>
        row.disconnected_at
          ? [{ agentId: row.agent_id, at: new Date(row.disconnected_at.getTime() + graceSeconds * 1000) }]
          : [],
      );
      if (graced.length > 0)
        await tx.query(
          `SELECT tether_schedule_job('agent.disconnect-grace', g.agent_id::text || '@' || g.ms,
                                      jsonb_build_object('agentId', g.agent_id), g.at)
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) g(agent_id, ms, at)`,
          [graced.map((g) => g.agentId), graced.map((g) => String(g.at.getTime())), graced.map((g) => g.at)],
        );
      const revoked: { agentId: string; offers: RevokedOffer[] }[] = [];
      for (const { agent_id: agentId } of gone)
        revoked.push({ agentId, offers: await this.offers.revokePending(tx, agentId, reason) });
      return { graced, revoked };
    });
    const first = ended.graced.reduce<Date | undefined>(
      (min, g) => (!min || g.at < min ? g.at : min),
      undefined,
    );
    if (first) this.scheduler.wake(first);
    for (const { agentId, offers } of ended.revoked)
      if (offers.length > 0) await this.offers.announceRevoked(agentId, offers, reason);
  }

  /**
   * The grace after the last socket closed is over and they did not come back: offline, nobody waits for them.
   * Fenced by the job's claim: an instance that held this timer, lost it (partitioned past its lease) and comes back
   * after the agent reconnected and dropped again must not cut that later grace short.
   */
  @OnJob('agent.disconnect-grace')
  async graceEnded(job: DueJob<'agent.disconnect-grace'>): Promise<void> {
    const { agentId } = job.payload;
    const row = await inTransaction(this.dataSource, async (tx) => {
      await this.scheduler.fence(tx, job);
      return one<{ lines: Line[] }>(
        tx,
        `UPDATE agent_presence p SET state = 'offline', state_since = now() FROM agents a
         WHERE a.id = p.agent_id AND p.agent_id = $1 AND p.state <> 'offline' AND p.disconnected_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = $1)
         RETURNING a.lines`,
        [agentId],
      );
    });
    if (!row) return;
    this.logger.log({ agentId }, 'agent offline after disconnect grace');
    await this.bus.publish({ type: 'agent.presence', agentId, state: 'offline', reason: 'disconnected' });
    for (const line of row.lines) this.dispatcher.request(line);
  }

  /**
   * The agent set their presence (or a supervisor did: `reason` 'supervisor'; the agent's sockets are told through
   * `agent.presence` either way). Becoming available starts their idle time (for longest-idle) and triggers routing.
   */
  async setState(
    agentId: string,
    state: PresenceState,
    reason: 'agent' | 'supervisor' = 'agent',
  ): Promise<{ state: PresenceState }> {
    const row = await one<{ lines: Line[]; previous: PresenceState }>(
      this.dataSource.manager,
      `UPDATE agent_presence p SET state = $2,
              state_since = CASE WHEN p.state = $2 THEN p.state_since ELSE now() END,
              idle_since = CASE WHEN $2 = 'available' AND p.state <> 'available' THEN GREATEST(now(), COALESCE(p.wrap_up_until, now())) ELSE p.idle_since END
       FROM agents a, (SELECT state FROM agent_presence WHERE agent_id = $1) old
       WHERE a.id = p.agent_id AND p.agent_id = $1
       RETURNING a.lines, old.state AS previous`,
      [agentId, state],
    );
    if (!row) return { state };
    if (state === 'offline') await this.offers.revokeAllFor(agentId, 'agent_offline');
    if (row.previous !== state) await this.bus.publish({ type: 'agent.presence', agentId, state, reason });
    // away or offline also matters to routing: contacts waiting for this agent may now widen to others
    for (const line of row.lines) this.dispatcher.request(line);
    return { state };
  }
}
