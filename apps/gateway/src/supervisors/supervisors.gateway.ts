import { Logger, OnModuleDestroy } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AgentRepository } from '@tether/agents';
import { AgentTokenService, Principal, SecretsService, bootstrapAdmin } from '@tether/auth';
import { QueueSnapshotService } from '@tether/contacts';
import { LineDirectory } from '@tether/lines';
import { ReportService } from '@tether/reports';
import {
  EventBus,
  SupervisorClientToServerEvents,
  SupervisorServerToClientEvents,
  TetherEvent,
} from '@tether/realtime';
import { UserTokenService } from '@tether/users';
import { HandshakeLimiter } from '../handshake-limiter';

/** What the handshake established: who is watching, and so which lines they see. */
interface SupervisorSocketData {
  principal: Principal;
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

/**
 * Supervisors (admin token) watch the floor: the queue of every line, agents' presence changes and the live figures
 * (`metrics:live`, libs/reports), read-only. The
 * events are SupervisorServerEvents (@tether/realtime).
 */
@WebSocketGateway({ namespace: '/supervisors', cors: { origin: true }, maxHttpBufferSize: 16 * 1024 })
export class SupervisorsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger(SupervisorsGateway.name);
  @WebSocketServer() private namespace!: SupervisorNamespace;
  private unsubscribe?: () => void;
  private snapshotTimer?: NodeJS.Timeout;
  private liveTimer?: NodeJS.Timeout;

  constructor(
    private readonly secrets: SecretsService,
    private readonly agents: AgentRepository,
    private readonly queue: QueueSnapshotService,
    private readonly bus: EventBus,
    private readonly lines: LineDirectory,
    private readonly handshakes: HandshakeLimiter,
    private readonly reports: ReportService,
    private readonly userTokens: UserTokenService,
    private readonly agentTokens: AgentTokenService,
  ) {}

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
      this.reports
        .live()
        .then((live) => this.namespace.emit('metrics:live', live))
        .catch((error: Error) => this.logger.warn(`live metrics failed: ${error.message}`));
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
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    if (this.liveTimer) clearInterval(this.liveTimer);
  }

  async handleConnection(socket: SupervisorSocket): Promise<void> {
    try {
      socket.emit('agents', await this.agents.list());
      socket.emit('queue', await this.queue.snapshot(await this.lines.names()));
      socket.emit('metrics:live', await this.reports.live());
    } catch (error) {
      this.logger.warn(`supervisor connect failed: ${(error as Error).message}`);
    }
  }

  private onBusEvent(event: TetherEvent): void {
    if (event.type === 'agent.presence') {
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
