import { Logger, OnModuleDestroy } from '@nestjs/common';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AgentRepository } from '@tether/agents';
import {
  AgentTokenService,
  canSeeLine,
  Principal,
  SecretsService,
  bootstrapAdmin,
  visibleLines,
} from '@tether/auth';
import { QueueSnapshotService } from '@tether/contacts';
import { ValidationFailed } from '@tether/errors';
import { LineDirectory } from '@tether/lines';
import {
  AckError,
  EventBus,
  SupervisorClientToServerEvents,
  SupervisorLiveMetricsPayload,
  SupervisorServerToClientEvents,
  TetherEvent,
} from '@tether/realtime';
import type { Line } from '@tether/routing';
import { LiveViewService, SupervisorActionsService } from '@tether/supervision';
import { UserTokenService } from '@tether/users';
import { answer } from '../agents/socket-ack';
import { HandshakeLimiter } from '../handshake-limiter';
import { LiveViewPusher } from './live-view-pusher';
import {
  CaseReassignDto,
  ContactAssignDto,
  LivePageDto,
  SupervisorAgentStatusDto,
} from './supervisor-events.dto';

/** What the handshake established: who is watching, and so which lines they see; and the page of each line shown. */
interface SupervisorSocketData {
  principal: Principal;
  pages?: Map<Line, number>;
}
type SupervisorSocket = Socket<
  SupervisorClientToServerEvents,
  SupervisorServerToClientEvents,
  Record<string, never>,
  SupervisorSocketData
>;
type SupervisorNamespace = Namespace<
  SupervisorClientToServerEvents,
  SupervisorServerToClientEvents,
  Record<string, never>,
  SupervisorSocketData
>;

/** How long an agent's lines are remembered to scope their presence changes (an admin's change shows within this). */
const AGENT_LINES_TTL_MS = 10_000;

/** How often connected supervisors get `metrics:live`. */
const LIVE_METRICS_MS = 5000;

/** Bus events after which the live view is read again (coalesced): what moves a queue, an agent or a figure. */
const LIVE_VIEW_TRIGGERS: ReadonlySet<TetherEvent['type']> = new Set<TetherEvent['type']>([
  'queue.changed',
  'agent.presence',
  'contact.connected',
  'contact.ended',
  'offer.created',
  'offer.revoked',
  'agent.updated',
  'agent.removed',
  'contact.transferred',
  'contact.transfer.returned',
  'callback.missed',
  'supervisor.action',
]);

/**
 * Supervisors watch the floor and act on it (SupervisorServerEvents / SupervisorClientEvents, @tether/realtime): the
 * live view (`live:view`, libs/supervision's LiveViewService, pushed by LiveViewPusher), the queue of every line,
 * agents' presence changes and the live figures (`metrics:live`, libs/reports); and the actions (force-assign, an
 * agent's status, a case's owner: SupervisorActionsService, one call each). Everything is filtered by the lines the
 * socket's principal may see (`canSeeLine`).
 */
@WebSocketGateway({ namespace: '/supervisors', cors: { origin: true }, maxHttpBufferSize: 16 * 1024 })
export class SupervisorsGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy
{
  private readonly logger = new Logger(SupervisorsGateway.name);
  @WebSocketServer() private namespace!: SupervisorNamespace;
  private unsubscribe?: () => void;
  private snapshotTimer?: NodeJS.Timeout;
  private liveTimer?: NodeJS.Timeout;
  private readonly agentLines = new Map<string, { lines: Line[]; until: number }>();
  private readonly pusher: LiveViewPusher;

  constructor(
    private readonly secrets: SecretsService,
    private readonly agents: AgentRepository,
    private readonly queue: QueueSnapshotService,
    private readonly bus: EventBus,
    private readonly lines: LineDirectory,
    private readonly handshakes: HandshakeLimiter,
    private readonly liveView: LiveViewService,
    private readonly actions: SupervisorActionsService,
    private readonly userTokens: UserTokenService,
    private readonly agentTokens: AgentTokenService,
  ) {
    this.pusher = new LiveViewPusher(liveView, () => lines.names());
  }

  afterInit(namespace: SupervisorNamespace): void {
    // the admin token is checked first, then the handshake lands in its bucket: a refused one in its address's
    // refused attempts (a flood of guesses is answered "too many failed attempts"), an accepted one in its
    // address's handshakes (HandshakeLimiter)
    namespace.use((socket, next) => {
      const address = this.handshakes.addressOf(socket);
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      void this.principalOf(token)
        .then((found) => {
          if (typeof found === 'string')
            return this.handshakes.refuse(
              address,
              found,
              '/supervisors',
              found.startsWith('forbidden') ? 403 : 401,
            );
          socket.data.principal = found;
          return this.handshakes.admit(address);
        })
        .catch(() => new Error('authentication failed'))
        .then((error) => next(error));
    });
    this.unsubscribe = this.bus.subscribe((event) => this.onBusEvent(event));
    // read only while someone watches: a gateway without supervisors costs the database nothing
    this.liveTimer = setInterval(() => {
      if (this.namespace.sockets.size === 0) return;
      this.liveView
        .liveMetrics(true)
        .then((live) => {
          for (const socket of this.namespace.sockets.values())
            socket.emit('metrics:live', scopedLive(socket, live));
        })
        .catch((error: Error) => this.logger.warn(`live metrics failed: ${error.message}`));
      // waits grow and today's figures move without an event: the view follows at this pace too
      this.pusher.changed();
    }, LIVE_METRICS_MS);
    this.liveTimer.unref();
  }

  /**
   * The handshake's principal: the bootstrap admin token (every line), or a user token of an admin or a supervisor
   * (their lines); otherwise why not (an agent-role user's token, an agent's token, anything else).
   */
  private async principalOf(token: unknown): Promise<Principal | string> {
    if (typeof token !== 'string' || token.length === 0) return 'missing token: pass auth: { token }';
    if (this.secrets.isAdminToken(token)) return bootstrapAdmin(token);
    const user = await this.userTokens.principalOf(token);
    if (user?.role === 'admin' || user?.role === 'supervisor') return user;
    if (user || (await this.agentTokens.agentIdOf(token)))
      return 'forbidden: /supervisors takes an admin or a supervisor token; agent tokens connect to /agents';
    return 'invalid token: supervisors use an admin token or a supervisor user token';
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.pusher.stop();
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    if (this.liveTimer) clearInterval(this.liveTimer);
  }

  async handleConnection(socket: SupervisorSocket): Promise<void> {
    socket.data.pages = new Map();
    this.bindClientEvents(socket);
    this.pusher.add(socket);
    try {
      // a supervisor sees the agents, queues and figures of their lines only (an admin: every line)
      const principal = socket.data.principal;
      const agents = await this.agents.list();
      socket.emit(
        'agents',
        agents.filter((agent) => agent.lines.some((line) => canSeeLine(principal, line))),
      );
      socket.emit('queue', await this.queue.snapshot(visibleLines(principal, await this.lines.names())));
      socket.emit('metrics:live', scopedLive(socket, await this.liveView.liveMetrics(true)));
    } catch (error) {
      this.logger.warn(`supervisor connect failed: ${(error as Error).message}`);
    }
  }

  handleDisconnect(socket: SupervisorSocket): void {
    this.pusher.remove(socket);
  }

  /** Each client event: its DTO validates the payload, one call into libs/supervision, the answer in the ack. */
  private bindClientEvents(socket: SupervisorSocket): void {
    const acked =
      <A>(handle: (payload: unknown) => Promise<A>) =>
      (payload: unknown, ack: (response: A | AckError) => void): void => {
        void handle(payload).then((response) => typeof ack === 'function' && ack(response));
      };
    const principal = () => socket.data.principal;
    socket.on(
      'live:page',
      acked((payload) =>
        answer(LivePageDto, payload, async ({ line, page }) => {
          if (!canSeeLine(principal(), line) || !(await this.lines.find(line)))
            throw new ValidationFailed(`line: ${line} is not a line you supervise`);
          socket.data.pages!.set(line, page);
          this.pusher.refresh(socket);
          return {};
        }),
      ),
    );
    socket.on(
      'contact:assign',
      acked((payload) =>
        answer(ContactAssignDto, payload, ({ contactId, agentId }) =>
          this.actions.assign(principal(), contactId, agentId),
        ),
      ),
    );
    socket.on(
      'agent:status',
      acked((payload) =>
        answer(SupervisorAgentStatusDto, payload, ({ agentId, status }) =>
          this.actions.setAgentStatus(principal(), agentId, status),
        ),
      ),
    );
    socket.on(
      'case:reassign',
      acked((payload) =>
        answer(CaseReassignDto, payload, ({ caseId, ownerId }) =>
          this.actions.reassignCase(principal(), caseId, ownerId),
        ),
      ),
    );
  }

  private onBusEvent(event: TetherEvent): void {
    if (LIVE_VIEW_TRIGGERS.has(event.type)) this.pusher.changed();
    if (event.type === 'supervisor.action') {
      // at once, to every supervisor on this gateway who can see one of the lines concerned
      for (const socket of this.namespace.sockets.values())
        if (event.lines.some((line) => canSeeLine(socket.data.principal, line)))
          socket.emit('supervisor:action', event.action);
    } else if (event.type === 'agent.presence') {
      const payload = { agentId: event.agentId, state: event.state, reason: event.reason };
      void this.toAgentsSupervisors(event.agentId, (socket) => socket.emit('agent:presence', payload));
    } else if (event.type === 'contact.connected') {
      const payload = { agentId: event.agentId, contactId: event.contactId, line: event.line };
      for (const socket of this.socketsSeeing([event.line])) socket.emit('contact:connected', payload);
    } else if (event.type === 'case.overdue') {
      const payload = { caseId: event.caseId, ownerId: event.ownerId };
      for (const socket of this.socketsSeeing([event.line])) socket.emit('case:overdue', payload);
    } else if (event.type === 'callback.missed') {
      const payload = {
        callbackId: event.callbackId,
        contactId: event.contactId,
        line: event.line,
        ownerId: event.ownerId,
      };
      for (const socket of this.socketsSeeing([event.line])) socket.emit('callback:missed', payload);
    } else if (event.type === 'queue.changed' && !this.snapshotTimer && this.namespace.sockets.size > 0) {
      this.snapshotTimer = setTimeout(() => {
        this.snapshotTimer = undefined;
        void this.sendQueues().catch(() => undefined);
      }, 500);
    }
  }

  /** The supervisor sockets on this gateway whose principal sees one of `lines`. */
  private socketsSeeing(lines: readonly Line[]): SupervisorSocket[] {
    return [...this.namespace.sockets.values()].filter(
      (socket) => socket.data.principal && lines.some((line) => canSeeLine(socket.data.principal, line)),
    );
  }

  /** Each socket's queue of its lines: one snapshot per distinct scope (every admin shares one). */
  private async sendQueues(): Promise<void> {
    const all = await this.lines.names();
    const byScope = new Map<string, SupervisorSocket[]>();
    for (const socket of this.namespace.sockets.values()) {
      if (!socket.data.principal) continue;
      const key = visibleLines(socket.data.principal, all).join(',');
      byScope.set(key, [...(byScope.get(key) ?? []), socket]);
    }
    await Promise.all(
      [...byScope].map(async ([key, sockets]) => {
        const snapshot = await this.queue.snapshot(key === '' ? [] : key.split(','));
        for (const socket of sockets) socket.emit('queue', snapshot);
      }),
    );
  }

  /**
   * An agent's presence goes to the supervisors of one of the agent's lines: admins at once; for a supervisor scoped
   * to some lines, the agent's lines are read (and remembered for AGENT_LINES_TTL_MS) first.
   */
  private async toAgentsSupervisors(
    agentId: string,
    send: (socket: SupervisorSocket) => void,
  ): Promise<void> {
    const sockets = [...this.namespace.sockets.values()].filter((socket) => socket.data.principal);
    const scoped = sockets.filter((socket) => socket.data.principal.lines !== 'all');
    for (const socket of sockets) if (socket.data.principal.lines === 'all') send(socket);
    if (scoped.length === 0) return;
    const lines = await this.linesOfAgent(agentId).catch(() => [] as Line[]);
    for (const socket of scoped)
      if (lines.some((line) => canSeeLine(socket.data.principal, line))) send(socket);
  }

  private async linesOfAgent(agentId: string): Promise<Line[]> {
    const known = this.agentLines.get(agentId);
    if (known && known.until > Date.now()) return known.lines;
    const lines = (await this.agents.find(agentId))?.lines ?? [];
    if (this.agentLines.size > 10_000) this.agentLines.clear();
    this.agentLines.set(agentId, { lines, until: Date.now() + AGENT_LINES_TTL_MS });
    return lines;
  }
}

/** The live figures of the lines this socket's principal sees. */
function scopedLive(
  socket: SupervisorSocket,
  live: SupervisorLiveMetricsPayload,
): SupervisorLiveMetricsPayload {
  const principal = socket.data.principal;
  if (!principal || principal.lines === 'all') return live;
  return { ...live, lines: live.lines.filter((entry) => canSeeLine(principal, entry.line)) };
}
