import { Logger, OnModuleDestroy } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AgentRepository } from '@tether/agents';
import { Principal, SecretsService, bootstrapAdmin } from '@tether/auth';
import { QueueSnapshotService } from '@tether/contacts';
import { LineDirectory } from '@tether/lines';
import { ReportService } from '@tether/reports';
import {
  EventBus,
  SupervisorClientToServerEvents,
  SupervisorServerToClientEvents,
  TetherEvent,
} from '@tether/realtime';
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
  ) {}

  afterInit(namespace: SupervisorNamespace): void {
    // the admin token is checked first, then the handshake lands in its bucket: a refused one in its address's
    // refused attempts (a flood of guesses is answered "too many failed attempts"), an accepted one in its
    // address's handshakes (HandshakeLimiter)
    namespace.use((socket, next) => {
      const address = this.handshakes.addressOf(socket);
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const refusal =
        typeof token !== 'string' || token.length === 0
          ? 'missing token: pass auth: { token }'
          : this.secrets.isAdminToken(token)
            ? undefined
            : 'invalid token: supervisors use an admin token';
      if (refusal === undefined) socket.data.principal = bootstrapAdmin(token as string);
      void (refusal === undefined ? this.handshakes.admit(address) : this.handshakes.refuse(address, refusal))
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
