import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { inTransaction, one, retryDeadlock, rows, StatementBatcher } from '@tether/persistence';
import { EventBus, OfferPayload } from '@tether/realtime';
import { Line, PresenceState } from '@tether/routing';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import { ContactDispatcher } from './contact-dispatcher.service';
import { OfferPayloadBuilder } from './offer-payload.builder';
import { OfferService } from './offer.service';

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
export class AgentPresenceService implements OnApplicationShutdown {
  private readonly logger = new Logger(AgentPresenceService.name);
  private heartbeat?: NodeJS.Timeout;

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
    await this.dataSource.query(
      `INSERT INTO instances (id, app) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), started_at = now()`,
      [this.config.instanceId, app],
    );
    // a restarted instance with the same id: its old sockets are gone
    await this.reapConnections(`instance_id = $1`, [this.config.instanceId]);
    this.heartbeat = setInterval(() => {
      void this.beat().catch((error: Error) => this.logger.warn(`heartbeat failed: ${error.message}`));
    }, 5_000);
    this.heartbeat.unref();
  }

  onApplicationShutdown(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  private async beat(): Promise<void> {
    await this.dataSource.query(`UPDATE instances SET heartbeat_at = now() WHERE id = $1`, [
      this.config.instanceId,
    ]);
    await this.reapConnections(
      `instance_id IN (SELECT id FROM instances WHERE heartbeat_at < now() - make_interval(secs => $1))`,
      [INSTANCE_DEAD_AFTER_SECONDS],
    );
  }

  private async reapConnections(where: string, params: unknown[]): Promise<void> {
    const dropped = await rows<{ agent_id: string; socket_id: string }>(
      this.dataSource.manager,
      `DELETE FROM agent_connections WHERE ${where} RETURNING agent_id, socket_id`,
      params,
    );
    for (const agentId of new Set(dropped.map((d) => d.agent_id)))
      await this.afterLastConnectionMaybeGone(agentId);
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

  async disconnected(agentId: string, socketId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM agent_connections WHERE socket_id = $1`, [socketId]);
    await this.afterLastConnectionMaybeGone(agentId);
  }

  private async afterLastConnectionMaybeGone(agentId: string): Promise<void> {
    const stillConnected = await one(
      this.dataSource.manager,
      `SELECT 1 FROM agent_connections WHERE agent_id = $1 LIMIT 1`,
      [agentId],
    );
    if (stillConnected) return;
    const graceEnds = await inTransaction(this.dataSource, async (tx) => {
      const row = await one<{ disconnected_at: Date }>(
        tx,
        `UPDATE agent_presence SET disconnected_at = now() WHERE agent_id = $1 AND state <> 'offline'
         RETURNING disconnected_at`,
        [agentId],
      );
      if (!row) return undefined;
      const at = new Date(row.disconnected_at.getTime() + this.config.agentDisconnectGraceSeconds * 1000);
      await this.scheduler.schedule(
        tx,
        'agent.disconnect-grace',
        at,
        { agentId },
        `${agentId}@${at.getTime()}`,
      );
      return at;
    });
    if (graceEnds) this.scheduler.wake(graceEnds);
    await this.offers.revokeAllFor(agentId, 'agent_disconnected');
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
