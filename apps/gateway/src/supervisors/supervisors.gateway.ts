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
import { AgentTokenService, canSeeLine, Principal, SecretsService, bootstrapAdmin } from '@tether/auth';
import { QueueSnapshotService } from '@tether/contacts';
import { ValidationFailed } from '@tether/errors';
import { LineDirectory } from '@tether/lines';
import {
  AckError,
  EventBus,
  SupervisorClientToServerEvents,
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
          if (typeof found === 'string') return this.handshakes.refuse(address, found);
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
        .then((live) => this.namespace.emit('metrics:live', live))
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
      socket.emit('agents', await this.agents.list());
      socket.emit('queue', await this.queue.snapshot(await this.lines.names()));
      socket.emit('metrics:live', await this.liveView.liveMetrics(true));
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
      this.namespace.emit('agent:presence', {
        agentId: event.agentId,
        state: event.state,
        reason: event.reason,
      });
    } else if (event.type === 'contact.connected') {
      this.namespace.emit('contact:connected', {
        agentId: event.agentId,
        contactId: event.contactId,
        line: event.line,
      });
    } else if (event.type === 'case.overdue') {
      this.namespace.emit('case:overdue', { caseId: event.caseId, ownerId: event.ownerId });
    } else if (event.type === 'callback.missed') {
      this.namespace.emit('callback:missed', {
        callbackId: event.callbackId,
        contactId: event.contactId,
        line: event.line,
        ownerId: event.ownerId,
      });
    } else if (event.type === 'queue.changed' && !this.snapshotTimer && this.namespace.sockets.size > 0) {
      this.snapshotTimer = setTimeout(() => {
        this.snapshotTimer = undefined;
        void this.lines
          .names()
          .then((lines) => this.queue.snapshot(lines))
          .then((snapshot) => this.namespace.emit('queue', snapshot))
          .catch(() => undefined);
      }, 500);
    }
  }
}
