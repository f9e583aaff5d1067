import { Inject, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AgentPrincipal, AgentTokenService } from '@tether/auth';
import { CaseService } from '@tether/cases';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import {
  AgentPresenceService,
  AgentResyncService,
  ContactCallbackService,
  ContactLifecycleService,
  ContactMessagingService,
  ContactTransferService,
  OfferService,
  QueueSnapshotService,
} from '@tether/contacts';
import { DomainError } from '@tether/errors';
import {
  AckError,
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  CaseUpdateReason,
  EventBus,
  TetherEvent,
  rooms,
} from '@tether/realtime';
import type { Line } from '@tether/routing';
import { HandshakeLimiter } from '../handshake-limiter';
import { AgentConnectionCap } from './agent-connection-cap';
import {
  AgentStatusDto,
  CallbackScheduleDto,
  CaseHandoverDto,
  ContactCompleteDto,
  ContactDialDto,
  ContactTransferDto,
  MessageSendDto,
  OfferAcceptDto,
  OfferRejectDto,
} from './agent-events.dto';
import { AgentSocketSync, SyncedSocketData } from './agent-socket-sync';
import { EventRateLimiter } from './event-rate-limiter';
import { OfferAnnouncements } from './offer-announcements';
import { SnapshotFlights } from './snapshot-flights';
import { answer, answerPlain } from './socket-ack';

interface AgentSocketData extends SyncedSocketData {
  lines: Line[];
  /** the id of the token the socket authenticated with: revoking it closes the socket */
  tokenId: string;
  tokenExpiresAt: number;
  limiter: EventRateLimiter;
}
type AgentSocket = Socket<
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  Record<string, never>,
  AgentSocketData
>;
type AgentNamespace = Namespace<
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  Record<string, never>,
  AgentSocketData
>;

/**
 * The agents' namespace. It authenticates in the handshake middleware, joins each socket to its agent room and its
 * line-set room, forwards client events to the domain (answering through acks), and turns bus events into emits.
 * Offers go out through AgentSocketSync, which also re-synchronises the sockets with PostgreSQL: periodically and
 * whenever the event bus recovers, so an event lost to a Redis outage delays an offer instead of losing it.
 */
@WebSocketGateway({ namespace: '/agents', cors: { origin: true }, maxHttpBufferSize: 64 * 1024 })
export class AgentsGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy
{
  private readonly logger = new Logger(AgentsGateway.name);
  @WebSocketServer() private namespace!: AgentNamespace;
  private unsubscribe?: () => void;
  private unsubscribeRecovery?: () => void;
  private sync!: AgentSocketSync;
  private announcements!: OfferAnnouncements;
  private resyncTimer?: NodeJS.Timeout;
  private readonly dirtyLines = new Set<Line>();
  /** per line-set room, what its last snapshot held (total and contact ids): an unchanged queue is not re-sent */
  private readonly lastSnapshot = new Map<string, string>();
  private snapshotTimer?: NodeJS.Timeout;
  private readonly cap: AgentConnectionCap;
  /** connecting sockets' queue snapshots, one read per line set at a time */
  private readonly connectSnapshots: SnapshotFlights<Awaited<ReturnType<QueueSnapshotService['snapshot']>>>;

  constructor(
    private readonly tokens: AgentTokenService,
    private readonly presence: AgentPresenceService,
    private readonly offers: OfferService,
    private readonly contacts: ContactLifecycleService,
    private readonly queue: QueueSnapshotService,
    private readonly resync: AgentResyncService,
    private readonly cases: CaseService,
    private readonly transfers: ContactTransferService,
    private readonly callbacks: ContactCallbackService,
    private readonly messaging: ContactMessagingService,
    private readonly bus: EventBus,
    private readonly handshakes: HandshakeLimiter,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
  ) {
    this.cap = new AgentConnectionCap(config.agentMaxSockets);
    this.connectSnapshots = new SnapshotFlights((lines) => this.queue.snapshot(lines));
  }

  afterInit(namespace: AgentNamespace): void {
    namespace.use((socket, next) => {
      void this.admit(socket)
        .catch(() => new Error('authentication failed'))
        .then((refusal) => next(refusal));
    });
    this.sync = new AgentSocketSync(
      this.resync,
      () => namespace.sockets.values(),
      (agentId) => this.socketsOf(agentId),
    );
    // offer.created carries ids only: the payloads of a batch of them are read in one query
    this.announcements = new OfferAnnouncements(
      (offerIds) => this.resync.announcedOffers(offerIds),
      (agentId) => this.socketsOf(agentId).length > 0,
      (agentId, offer) => {
        for (const socket of this.socketsOf(agentId)) this.sync.sendOffer(socket, offer);
      },
      (error) => this.logger.warn(`reading announced offers failed: ${error.message}`),
    );
    this.unsubscribe = this.bus.subscribe((event) => this.onBusEvent(event));
    // events published while the bus was down may be lost for good: read what the sockets should hold instead
    const resync = () => {
      void this.sync.reconcile();
      void this.closeRevokedSockets();
    };
    this.unsubscribeRecovery = this.bus.onRecovered(resync);
    this.resyncTimer = setInterval(resync, this.config.agentResyncMs);
    this.resyncTimer.unref();
  }

  /**
   * The handshake: the token first, then the limits, so each handshake lands in one bucket (`HandshakeLimiter`): a
   * refused one in its address's refused attempts, an accepted one in its address's handshakes and its agent's
   * sockets (`AgentConnectionCap`). Resolves with the error to refuse with (the client's `connect_error`), if any.
   */
  private async admit(socket: AgentSocket): Promise<Error | undefined> {
    const address = this.handshakes.addressOf(socket);
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    let principal: AgentPrincipal;
    try {
      principal = await this.tokens.verify(auth?.token);
    } catch (error) {
      // only a refused credential counts against the address: a database outage must not lock an office out
      if (!(error instanceof DomainError)) return new Error('authentication failed: try again');
      return this.handshakes.refuse(address, error.message, '/agents');
    }
    const limited = await this.handshakes.admit(address);
    if (limited) return limited;
    if (!this.cap.tryTake(principal.agentId, socket.id))
      return new Error(
        `too many connections for this agent: ${this.cap.max} sockets are open on this gateway (TETHER_AGENT_MAX_SOCKETS); close one first`,
      );
    socket.once('disconnect', () => this.cap.release(principal.agentId, socket.id));
    // a handshake that does not become a connection (the client left meanwhile) gives its place back: socket.io
    // connects an admitted socket, or drops it, on the next tick
    setImmediate(() => {
      if (!socket.connected) this.cap.release(principal.agentId, socket.id);
    });
    socket.data.agentId = principal.agentId;
    socket.data.tokenId = principal.tokenId;
    socket.data.tokenExpiresAt = principal.expiresAt.getTime();
    socket.data.limiter = new EventRateLimiter(this.config.socketEventsPerSecond);
    socket.data.offers = new Set();
    socket.data.ready = false;
    return undefined;
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribeRecovery?.();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
  }

  async handleConnection(socket: AgentSocket): Promise<void> {
    const { agentId } = socket.data;
    if (!agentId) return;
    this.bindClientEvents(socket);
    try {
      // join the agent's room before presence can trigger a routing pass, so no offer is emitted into the gap
      await socket.join(rooms.agent(agentId));
      const session = await this.presence.connected(agentId, socket.id);
      if (socket.disconnected) {
        // it closed while we registered it: handleDisconnect found no row to remove, so remove it now
        await this.presence.disconnected(agentId, socket.id);
        return;
      }
      socket.data.lines = session.lines;
      await socket.join(rooms.lineSet(session.lines));
      // a token that runs out mid-session ends the session
      const timer = setTimeout(
        () => socket.disconnect(true),
        Math.max(0, socket.data.tokenExpiresAt - Date.now()),
      );
      timer.unref();
      socket.once('disconnect', () => clearTimeout(timer));
      // three reads at once, each shared with the sockets connecting meanwhile (one statement per batch of them)
      const [snapshot, held, notices] = await Promise.all([
        this.connectSnapshots.get(session.lines),
        this.resync.heldContacts(agentId),
        this.cases.pendingNotices(agentId),
      ]);
      socket.emit('queue', snapshot);
      // a (re)connecting client gets back everything it holds: its pending offers and its connected contacts
      for (const offer of session.pending) this.sync.sendOffer(socket, offer);
      for (const { payload, endReason } of held) {
        socket.emit('contact:connected', payload);
        if (endReason) socket.emit('contact:ended', { contactId: payload.contactId, reason: endReason });
      }
      // what happened to their cases while they were away
      for (const notice of notices) socket.emit('case:notice', notice);
      await this.cases.markDelivered(notices.map((n) => n.noticeId));
      socket.data.ready = true;
      this.logger.log({ agentId, socketId: socket.id }, 'agent connected');
    } catch (error) {
      this.logger.error({ agentId }, `connect failed: ${(error as Error).message}`);
      socket.disconnect(true);
    }
  }

  async handleDisconnect(socket: AgentSocket): Promise<void> {
    const { agentId } = socket.data;
    if (!agentId) return;
    this.logger.log({ agentId, socketId: socket.id }, 'agent disconnected');
    await this.presence
      .disconnected(agentId, socket.id)
      .catch((error: Error) => this.logger.error(`disconnect handling failed: ${error.message}`));
  }

  /**
   * Client events are bound here with plain socket.io listeners rather than @SubscribeMessage: Nest's binding builds
   * rxjs pipelines per event per socket, which roughly doubled the memory of an idle connected agent (bench/).
   */
  private bindClientEvents(socket: AgentSocket): void {
    // Each listener's ack is typed by what its handler answers, and socket.on checks that against the event map.
    // The payload is what a client sent: `unknown` until its DTO has validated it.
    const acked =
      <A>(handle: (payload: unknown) => Promise<A>) =>
      (payload: unknown, ack: (response: A | AckError) => void): void => {
        const run = socket.data.limiter.tryTake() ? handle(payload) : rateLimited();
        // a client that emits without a callback (or with a value in its place) gets no answer
        void run.then((response) => typeof ack === 'function' && ack(response));
      };
    const agentId = () => socket.data.agentId;
    socket.on(
      'agent:status',
      acked((payload) =>
        answer(AgentStatusDto, payload, async ({ state }) => this.presence.setState(agentId(), state)),
      ),
    );
    socket.on(
      'offer:accept',
      acked((payload) =>
        answer(OfferAcceptDto, payload, async ({ offerId }) => {
          const accepted = await this.offers.accept(agentId(), offerId);
          this.sync.settled(socket, offerId);
          return accepted;
        }),
      ),
    );
    socket.on(
      'offer:reject',
      acked((payload) =>
        answer(OfferRejectDto, payload, async ({ offerId, reason }) => {
          const rejected = await this.offers.reject(agentId(), offerId, reason);
          this.sync.settled(socket, offerId);
          return rejected;
        }),
      ),
    );
    socket.on(
      'contact:complete',
      acked((payload) =>
        answer(ContactCompleteDto, payload, async ({ contactId, resolution, notes, subject, caseId }) =>
          this.contacts.complete(agentId(), contactId, resolution, notes, { subject, caseId }),
        ),
      ),
    );
    socket.on(
      'contact:transfer',
      acked((payload) =>
        answer(ContactTransferDto, payload, async ({ contactId, to, note, mode }) =>
          this.transfers.transfer(agentId(), contactId, to, mode, note),
        ),
      ),
    );
    socket.on(
      'cases:list',
      acked(() => answerPlain(async () => ({ cases: await this.cases.openCasesOf(agentId()) }))),
    );
    socket.on(
      'callback:schedule',
      acked((payload) =>
        answer(CallbackScheduleDto, payload, async ({ windowStart, dueAt, ...rest }) =>
          this.callbacks.schedule(agentId(), {
            ...rest,
            windowStart: windowStart === undefined ? undefined : new Date(windowStart),
            dueAt: dueAt === undefined ? undefined : new Date(dueAt),
          }),
        ),
      ),
    );
    socket.on(
      'contact:dial',
      acked((payload) =>
        answer(ContactDialDto, payload, async (request) => this.callbacks.dial(agentId(), request)),
      ),
    );
    socket.on(
      'message:send',
      acked((payload) =>
        answer(MessageSendDto, payload, async ({ contactId, text }) =>
          this.messaging.send(agentId(), contactId, text),
        ),
      ),
    );
    socket.on(
      'callbacks:list',
      acked(() => answerPlain(async () => ({ callbacks: await this.callbacks.openCallbacksOf(agentId()) }))),
    );
    socket.on(
      'case:handover',
      acked((payload) =>
        answer(CaseHandoverDto, payload, async ({ caseId, toAgentId }) => ({
          case: await this.cases.update(caseId, { ownerId: toAgentId }, agentId()),
        })),
      ),
    );
  }

  private onBusEvent(event: TetherEvent): void {
    switch (event.type) {
      case 'offer.created':
        this.announcements.announce(event.agentId, event.offerId);
        return;
      case 'offer.revoked':
        this.sync.revokeOffer(event.agentId, event.offerId, event.contactId, event.reason);
        return;
      case 'agent.presence':
        this.namespace
          .to(rooms.agent(event.agentId))
          .emit('agent:presence', { state: event.state, reason: event.reason });
        return;
      case 'contact.ended':
        this.namespace
          .to(rooms.agent(event.agentId))
          .emit('contact:ended', { contactId: event.contactId, reason: event.reason });
        return;
      case 'queue.changed':
        for (const line of event.lines) this.dirtyLines.add(line);
        this.scheduleSnapshots();
        return;
      case 'agent.removed':
        this.namespace.in(rooms.agent(event.agentId)).disconnectSockets(true);
        return;
      case 'agent.updated':
        void this.moveToLines(event.agentId, event.lines);
        return;
      case 'agent.tokens.revoked':
        this.closeSocketsOf(event.agentId, new Set(event.tokenIds));
        return;
      case 'case.updated':
        void this.sendCaseUpdate(event.caseId, event.agentIds, event.reason);
        return;
      case 'case.notice':
        if (this.socketsOf(event.agentId).length > 0) void this.sendNotice(event.agentId, event.noticeId);
        return;
      case 'contact.transferred':
        this.namespace.to(rooms.agent(event.agentId)).emit('contact:transferred', {
          contactId: event.contactId,
          transferId: event.transferId,
          toAgentId: event.toAgentId,
        });
        return;
      case 'contact.transfer.returned':
        this.namespace.to(rooms.agent(event.agentId)).emit('contact:transfer-returned', {
          contactId: event.contactId,
          transferId: event.transferId,
          mode: event.mode,
          reason: event.reason,
        });
        return;
      case 'message.received':
        if (this.socketsOf(event.agentId).length > 0) void this.sendMessage(event.agentId, event.messageId);
        return;
      case 'callback.reminder':
        this.namespace.to(rooms.agent(event.agentId)).emit('callback:reminder', {
          callbackId: event.callbackId,
          contactId: event.contactId,
          dueAt: event.dueAt,
        });
        return;
      case 'callback.missed':
        for (const id of event.agentIds)
          this.namespace.to(rooms.agent(id)).emit('callback:missed', {
            callbackId: event.callbackId,
            contactId: event.contactId,
            line: event.line,
            ownerId: event.ownerId,
          });
        return;
      case 'contact.connected':
      case 'case.overdue':
      case 'supervisor.action':
        return;
    }
  }

  /** A customer's new message, read here (the bus carries ids only), to the agent's sockets on this gateway. */
  private async sendMessage(agentId: string, messageId: string): Promise<void> {
    try {
      const message = await this.messaging.message(messageId);
      if (message) this.namespace.to(rooms.agent(agentId)).emit('message', message);
    } catch (error) {
      this.logger.warn(`message not sent: ${(error as Error).message}`);
    }
  }

  /** The case as it is now, to this gateway's sockets of the agents concerned. */
  private async sendCaseUpdate(caseId: string, agentIds: string[], reason: CaseUpdateReason): Promise<void> {
    const here = agentIds.filter((id) => this.socketsOf(id).length > 0);
    if (here.length === 0) return;
    try {
      const story = await this.cases.story(caseId);
      for (const id of here)
        this.namespace.to(rooms.agent(id)).emit('case:updated', { caseId, reason, case: story });
    } catch (error) {
      this.logger.warn(`case update not sent: ${(error as Error).message}`);
    }
  }

  /** A notice to an agent connected here: sent once, then marked delivered (not sent again on their next connect). */
  private async sendNotice(agentId: string, noticeId: string): Promise<void> {
    try {
      const notice = await this.cases.pendingNotice(noticeId);
      if (!notice) return;
      this.namespace.to(rooms.agent(agentId)).emit('case:notice', notice);
      await this.cases.markDelivered([noticeId]);
    } catch (error) {
      this.logger.warn(`case notice not sent: ${(error as Error).message}`);
    }
  }

  /** This gateway's sockets of an agent (each gateway delivers to its own sockets: no socket.io adapter). */
  private socketsOf(agentId: string): AgentSocket[] {
    const ids = this.namespace.adapter.rooms.get(rooms.agent(agentId));
    if (!ids) return [];
    const sockets: AgentSocket[] = [];
    for (const id of ids) {
      const socket = this.namespace.sockets.get(id);
      if (socket) sockets.push(socket);
    }
    return sockets;
  }

  /**
   * Closes this gateway's sockets of the agent opened with one of these tokens. Every socket past the handshake is
   * looked at, not just the agent's room: one still setting up its session has not joined it yet.
   */
  private closeSocketsOf(agentId: string, tokenIds: ReadonlySet<string>): void {
    for (const socket of this.namespace.sockets.values()) {
      if (socket.data.agentId !== agentId || !tokenIds.has(socket.data.tokenId)) continue;
      this.logger.log({ agentId, socketId: socket.id }, 'socket closed: its token was revoked');
      socket.disconnect(true);
    }
  }

  /**
   * The safety net under `agent.tokens.revoked` (an event lost while the bus was down, a revocation that raced a
   * handshake): the sockets whose token was revoked meanwhile, read from PostgreSQL in one query, are closed.
   */
  private async closeRevokedSockets(): Promise<void> {
    const byToken = new Map<string, AgentSocket[]>();
    for (const socket of this.namespace.sockets.values()) {
      const { tokenId } = socket.data;
      if (!tokenId) continue;
      const sockets = byToken.get(tokenId);
      if (sockets) sockets.push(socket);
      else byToken.set(tokenId, [socket]);
    }
    if (byToken.size === 0) return;
    try {
      for (const tokenId of await this.tokens.revokedAmong([...byToken.keys()])) {
        for (const socket of byToken.get(tokenId) ?? []) {
          this.logger.warn(
            { agentId: socket.data.agentId, socketId: socket.id },
            'socket closed: its token was revoked (found by the periodic check)',
          );
          socket.disconnect(true);
        }
      }
    } catch (error) {
      this.logger.warn(`revoked-token check failed: ${(error as Error).message}`);
    }
  }

  /** The agent now serves other lines: their sockets leave the old line-set room and get the new queue at once. */
  private async moveToLines(agentId: string, lines: Line[]): Promise<void> {
    const sockets = await this.namespace.in(rooms.agent(agentId)).fetchSockets();
    if (sockets.length === 0) return;
    const snapshot = await this.queue.snapshot(lines);
    for (const socket of sockets) {
      for (const room of socket.rooms) if (room.startsWith('lines:')) socket.leave(room);
      socket.join(rooms.lineSet(lines));
      socket.data.lines = lines;
      socket.emit('queue', snapshot);
    }
  }

  /** Coalesces queue changes: at most one snapshot per line-set room per interval, however many changes came. */
  private scheduleSnapshots(): void {
    if (this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      void this.sendSnapshots().catch((error: Error) =>
        this.logger.warn(`queue snapshot failed: ${error.message}`),
      );
    }, this.config.queueSnapshotMs);
  }

  private async sendSnapshots(): Promise<void> {
    const dirty = new Set(this.dirtyLines);
    this.dirtyLines.clear();
    const lineSetRooms = [...this.namespace.adapter.rooms.keys()].filter((room) => room.startsWith('lines:'));
    await Promise.all(
      lineSetRooms.map(async (room) => {
        const lines: Line[] = room.slice('lines:'.length).split('+').filter(Boolean);
        if (!lines.some((line) => dirty.has(line))) return;
        const snapshot = await this.queue.snapshot(lines);
        // the same contacts waiting (a change that came and went within the window, an offer that did not move the
        // head of the queue): the agents already show this queue
        const fingerprint = `${snapshot.total}:${snapshot.waiting.map((c) => c.contactId).join(',')}`;
        if (this.lastSnapshot.get(room) === fingerprint) return;
        this.lastSnapshot.set(room, fingerprint);
        this.namespace.to(room).emit('queue', snapshot);
      }),
    );
  }
}

function rateLimited(): Promise<AckError> {
  return Promise.resolve({ ok: false, error: 'rate limited: too many events, slow down' });
}
