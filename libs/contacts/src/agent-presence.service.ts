import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { inTransaction, one, rows } from '@tether/persistence';
import { EventBus, OfferPayload } from '@tether/realtime';
import { Line, PresenceState } from '@tether/routing';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import { ContactDispatcher } from './contact-dispatcher.service';
import { OfferPayloadBuilder } from './offer-payload.builder';
import { OfferService } from './offer.service';

/** an instance that has not beaten for this long is dead: its agents' connections are dropped */
const INSTANCE_DEAD_AFTER_SECONDS = 20;

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

  /** A socket authenticated. Returns the agent's state and the offers still pending for them (to re-send). */
  async connected(
    agentId: string,
    socketId: string,
  ): Promise<{ state: PresenceState; lines: Line[]; pending: OfferPayload[] }> {
    await this.dataSource.query(
      `INSERT INTO agent_connections (socket_id, agent_id, instance_id) VALUES ($1, $2, $3) ON CONFLICT (socket_id) DO NOTHING`,
      [socketId, agentId, this.config.instanceId],
    );
    const row = await one<{ state: PresenceState; lines: Line[] }>(
      this.dataSource.manager,
      `UPDATE agent_presence p SET disconnected_at = NULL FROM agents a WHERE a.id = p.agent_id AND p.agent_id = $1 RETURNING p.state, a.lines`,
      [agentId],
    );
    const pendingIds = await rows<{ id: string }>(
      this.dataSource.manager,
      `SELECT id FROM offers WHERE agent_id = $1 AND state = 'pending' AND expires_at > now() ORDER BY created_at`,
      [agentId],
    );
    const pending = await this.payloads.buildMany(pendingIds.map((o) => o.id));
    if (row?.state === 'available') for (const line of row.lines) this.dispatcher.request(line);
    return { state: row?.state ?? 'offline', lines: row?.lines ?? [], pending };
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
