import { io, type Socket } from 'socket.io-client';
import type {
  AgentClientToServerEvents,
  AgentServerEvents,
  AgentServerToClientEvents,
  AgentStatusAck,
  CallbackScheduleAck,
  CallbackSchedulePayload,
  CallbacksListAck,
  CaseHandoverAck,
  ContactDialAck,
  ContactDialPayload,
  MessageSendAck,
  ContactTransferAck,
  ContactTransferPayload,
  CasesListAck,
  ContactCompleteAck,
  OfferAcceptAck,
  OfferRejectAck,
} from '@tether/realtime';
import { EventBuffer } from './event-buffer';
import type {
  AckResponse,
  CaseNoticeEvent,
  CaseUpdatedEvent,
  ConnectedContactEvent,
  ContactEndedEvent,
  OfferEvent,
  OfferRevokedEvent,
  PresenceEvent,
  PresenceState,
  QueueEvent,
  Resolution,
} from './wire-types';

const ACK_TIMEOUT_MS = 5_000;

/**
 * An agent's desktop client: a real socket.io-client on the gateway's /agents namespace. Every server event is
 * buffered from the moment the socket exists (before it connects), so the `queue` sent on connect and an offer
 * that lands while the test is still awaiting something else are both there to be taken.
 */
export class AgentClient {
  readonly offers: EventBuffer<OfferEvent>;
  readonly revoked: EventBuffer<OfferRevokedEvent>;
  readonly queue: EventBuffer<QueueEvent>;
  readonly presence: EventBuffer<PresenceEvent>;
  readonly ended: EventBuffer<ContactEndedEvent>;
  /** the contacts the server says this agent holds, sent on connect */
  readonly held: EventBuffer<ConnectedContactEvent>;
  /** `case:updated`: one of the agent's cases changed */
  readonly caseUpdates: EventBuffer<CaseUpdatedEvent>;
  /** `case:notice`: what happened to their cases (while they were away) */
  readonly notices: EventBuffer<CaseNoticeEvent>;
  /** `contact:transferred`: a contact this agent transferred was accepted */
  readonly transferred: EventBuffer<AgentServerEvents['contact:transferred']>;
  /** `contact:transfer-returned`: a contact this agent transferred came back */
  readonly transferReturned: EventBuffer<AgentServerEvents['contact:transfer-returned']>;
  /** `message`: the customer wrote again on a messaging contact this agent holds */
  readonly messages: EventBuffer<AgentServerEvents['message']>;
  /** `callback:reminder`: a callback this agent owns is due soon */
  readonly callbackReminders: EventBuffer<AgentServerEvents['callback:reminder']>;
  /** `callback:missed`: a callback of theirs or their team's passed its due time */
  readonly callbacksMissed: EventBuffer<AgentServerEvents['callback:missed']>;
  /**
   * Resolves with socket.io's reason once this connection is gone, whoever ended it ('io client disconnect' after
   * `close()`, 'transport close' when the gateway died). A client does not reconnect: make a new one.
   */
  readonly closed: Promise<string>;
  private readonly socket: Socket<AgentServerToClientEvents, AgentClientToServerEvents>;

  /** `agentId` is only for the caller's bookkeeping and error messages; the token says who connects. */
  constructor(
    gatewayUrl: string,
    readonly token: string,
    readonly agentId = '',
    /** extra handshake headers (`x-forwarded-for`, as a proxy in front of Tether sends it) */
    headers: Record<string, string> = {},
  ) {
    const who = this.label;
    this.offers = new EventBuffer(`an offer for ${who}`);
    this.revoked = new EventBuffer(`offer:revoked for ${who}`);
    this.queue = new EventBuffer(`a queue snapshot for ${who}`);
    this.presence = new EventBuffer(`agent:presence for ${who}`);
    this.ended = new EventBuffer(`contact:ended for ${who}`);
    this.held = new EventBuffer(`contact:connected for ${who}`);
    this.caseUpdates = new EventBuffer(`case:updated for ${who}`);
    this.notices = new EventBuffer(`case:notice for ${who}`);
    this.transferred = new EventBuffer(`contact:transferred for ${who}`);
    this.transferReturned = new EventBuffer(`contact:transfer-returned for ${who}`);
    this.messages = new EventBuffer(`message for ${who}`);
    this.callbackReminders = new EventBuffer(`callback:reminder for ${who}`);
    this.callbacksMissed = new EventBuffer(`callback:missed for ${who}`);
    this.socket = io(`${gatewayUrl}/agents`, {
      auth: { token },
      transports: ['websocket'],
      extraHeaders: headers,
      forceNew: true,
      autoConnect: false,
      // a refused or dropped connection is something the test asserts on, not something to paper over
      reconnection: false,
    });
    this.socket.on('offer', (payload) => this.offers.push(payload));
    this.socket.on('offer:revoked', (payload) => this.revoked.push(payload));
    this.socket.on('queue', (payload) => this.queue.push(payload));
    this.socket.on('agent:presence', (payload) => this.presence.push(payload));
    this.socket.on('contact:ended', (payload) => this.ended.push(payload));
    this.socket.on('contact:connected', (payload) => this.held.push(payload));
    this.socket.on('case:updated', (payload) => this.caseUpdates.push(payload));
    this.socket.on('case:notice', (payload) => this.notices.push(payload));
    this.socket.on('contact:transferred', (payload) => this.transferred.push(payload));
    this.socket.on('contact:transfer-returned', (payload) => this.transferReturned.push(payload));
    this.socket.on('message', (payload) => this.messages.push(payload));
    this.socket.on('callback:reminder', (payload) => this.callbackReminders.push(payload));
    this.socket.on('callback:missed', (payload) => this.callbacksMissed.push(payload));
    this.closed = new Promise((resolve) => this.socket.once('disconnect', (reason) => resolve(reason)));
  }

  /**
   * Also hands every `event` to `listener` as it arrives (it still lands in its buffer), for clients that react to
   * whatever comes, such as the load and fault tests' agents.
   */
  on<E extends keyof AgentServerToClientEvents>(event: E, listener: AgentServerToClientEvents[E]): void {
    this.socket.on(event, listener as never);
  }

  private get label(): string {
    return this.agentId ? `agent ${this.agentId}` : 'the agent';
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /**
   * Connects and resolves once the server has set the session up, which it signals with the first `queue` snapshot
   * (sent after the socket joined its rooms: events published before that could not reach it). Rejects with the
   * server's `connect_error` message when the connection is refused.
   */
  connect(timeoutMs = 5_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.socket.off('connect_error', onError);
        this.socket.off('queue', onReady);
        if (error) reject(error);
        else resolve();
      };
      const onError = (error: Error) => finish(new Error(error.message));
      const onReady = () => finish();
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `${this.label} did not connect (and get its first queue snapshot) within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      this.socket.once('connect_error', onError);
      this.socket.once('queue', onReady);
      this.socket.connect();
    });
  }

  setStatus(state: PresenceState): Promise<AgentStatusAck> {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('agent:status', { state });
  }

  accept(offerId: string): Promise<OfferAcceptAck> {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('offer:accept', { offerId });
  }

  reject(offerId: string, reason?: string): Promise<OfferRejectAck> {
    return this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck('offer:reject', reason === undefined ? { offerId } : { offerId, reason });
  }

  complete(
    contactId: string,
    resolution: Resolution,
    notes?: string,
    link: { subject?: string; caseId?: string } = {},
  ): Promise<ContactCompleteAck> {
    const payload =
      notes === undefined ? { contactId, resolution, ...link } : { contactId, resolution, notes, ...link };
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('contact:complete', payload);
  }

  transfer(
    contactId: string,
    to: ContactTransferPayload['to'],
    mode: 'warm' | 'cold',
    note?: string,
  ): Promise<ContactTransferAck> {
    const payload = note === undefined ? { contactId, to, mode } : { contactId, to, mode, note };
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('contact:transfer', payload);
  }

  listCases(): Promise<CasesListAck> {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('cases:list', {});
  }

  handOver(caseId: string, toAgentId: string): Promise<CaseHandoverAck> {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('case:handover', { caseId, toAgentId });
  }

  scheduleCallback(payload: CallbackSchedulePayload): Promise<CallbackScheduleAck> {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('callback:schedule', payload);
  }

  dial(payload: ContactDialPayload): Promise<ContactDialAck> {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('contact:dial', payload);
  }

  sendMessage(contactId: string, text: string): Promise<MessageSendAck> {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:send', { contactId, text });
  }

  listCallbacks(): Promise<CallbacksListAck> {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('callbacks:list', {});
  }

  /** Any event with any payload, for the tests of invalid payloads. */
  emitRaw(event: string, payload: unknown): Promise<AckResponse> {
    return (this.socket as unknown as Socket)
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck(event, payload) as Promise<AckResponse>;
  }

  nextOffer(timeoutMs = 5_000): Promise<OfferEvent> {
    return this.offers.take({ timeoutMs });
  }

  nextRevoked(timeoutMs = 5_000): Promise<OfferRevokedEvent> {
    return this.revoked.take({ timeoutMs });
  }

  /** The next snapshot (that matches); older snapshots are discarded, since each supersedes the one before. */
  nextQueue(matching?: (snapshot: QueueEvent) => boolean, timeoutMs = 5_000): Promise<QueueEvent> {
    return this.queue.take({ matching, timeoutMs, dropEarlier: true });
  }

  nextPresence(matching?: (event: PresenceEvent) => boolean, timeoutMs = 5_000): Promise<PresenceEvent> {
    return this.presence.take({ matching, timeoutMs });
  }

  nextEnded(timeoutMs = 5_000): Promise<ContactEndedEvent> {
    return this.ended.take({ timeoutMs });
  }

  nextConnected(timeoutMs = 5_000): Promise<ConnectedContactEvent> {
    return this.held.take({ timeoutMs });
  }

  /** Resolves if no offer arrives (or is already buffered) within `ms`; rejects with the offer otherwise. */
  expectNoOffer(ms: number): Promise<void> {
    return this.offers.expectNone(ms);
  }

  /** Disconnects (the server sees a transport close, as when a browser tab goes away). */
  close(): void {
    this.socket.disconnect();
  }

  /**
   * Closes the underlying websocket without socket.io's goodbye (no disconnect packet): the server sees its
   * transport close, as when a desktop client crashes. (A network that silently drops packets is a FaultProxy's
   * blackhole, noticed only by socket.io's heartbeat.)
   */
  dropTransport(): void {
    this.socket.io.engine.close();
  }
}
