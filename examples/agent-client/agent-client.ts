import { io, type Socket } from 'socket.io-client';
// Type-only: nothing of Tether's is loaded at run time. In your own project, copy these declarations (or generate
// them from docs/asyncapi.yaml) and change this one import.
import type {
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  AgentStatusAck,
  ContactCompleteAck,
  ContactCompletePayload,
  OfferAcceptAck,
  OfferRejectAck,
} from '@tether/realtime';

type AgentSocket = Socket<AgentServerToClientEvents, AgentClientToServerEvents>;
export type AgentState = 'available' | 'away' | 'offline';

export interface AgentClientOptions {
  /** the gateway's base URL, e.g. http://localhost:3005 */
  gatewayUrl: string;
  /** from `POST /v1/agents/{id}/tokens` */
  token: string;
  /** first wait before reconnecting, doubled (with jitter) after each failed try up to `maxBackoffMs`; default 1 s */
  initialBackoffMs?: number;
  /** default 30 s */
  maxBackoffMs?: number;
  /** how long an acknowledgement may take; default 5 s */
  ackTimeoutMs?: number;
}

/**
 * A minimal agent desktop client for Tether's `/agents` namespace: connects with an agent token, keeps the presence
 * the agent asked for across reconnects, and exposes the contract's four actions as promises of their
 * acknowledgements. Listen to server events with `on('offer', ...)` etc. (typed from the project's event map).
 *
 * Reconnecting: a dropped connection (gateway restart, network) is retried by socket.io itself with exponential
 * backoff and jitter. A refused handshake is not retried by socket.io; this client retries the refusals that say
 * to come back later (rate limits, too many sockets) with the same backoff and gives up on the rest (a bad, expired
 * or revoked token will not get better): `onFatal` gets the server's reason.
 */
export class AgentClient {
  private readonly socket: AgentSocket;
  private readonly ackTimeoutMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  /** the presence this agent wants; re-sent after every (re)connect, since the server may have set it offline */
  private desired: AgentState = 'available';
  private refusedTries = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private fatalListeners: ((reason: string) => void)[] = [];
  private readyListeners: ((reconnected: boolean) => void)[] = [];
  private everConnected = false;

  constructor(options: AgentClientOptions) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.socket = io(`${options.gatewayUrl.replace(/\/+$/, '')}/agents`, {
      auth: { token: options.token },
      transports: ['websocket'],
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: this.initialBackoffMs,
      reconnectionDelayMax: this.maxBackoffMs,
      randomizationFactor: 0.5,
    });
    // The server has joined this socket to its rooms once it sends the first queue snapshot: from then on nothing
    // published for this agent can be missed, so that is when presence is (re)asserted.
    this.socket.on('connect', () => {
      this.refusedTries = 0;
      this.socket.once('queue', () => {
        const reconnected = this.everConnected;
        this.everConnected = true;
        if (this.desired !== 'offline') void this.setStatus(this.desired).catch(() => undefined);
        for (const listener of this.readyListeners) listener(reconnected);
      });
    });
    this.socket.on('connect_error', (error) => {
      if (this.closing || this.socket.active) return; // a transport failure: socket.io retries by itself
      if (!/try again|retry in|too many connections/i.test(error.message)) {
        for (const listener of this.fatalListeners) listener(error.message);
        return;
      }
      const backoff = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** this.refusedTries++);
      this.retryTimer = setTimeout(() => this.socket.connect(), backoff * (0.5 + Math.random()));
    });
  }

  /** Connects (and reconnects whenever the connection drops, until `close()`). */
  connect(): void {
    this.closing = false;
    this.socket.connect();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Server → client events: `offer`, `offer:revoked`, `queue`, `contact:connected`, `contact:ended`, ... */
  on<E extends keyof AgentServerToClientEvents>(event: E, listener: AgentServerToClientEvents[E]): this {
    this.socket.on(event, listener as never);
    return this;
  }

  /** Each time the session is set up: `reconnected` is false the first time. */
  onReady(listener: (reconnected: boolean) => void): this {
    this.readyListeners.push(listener);
    return this;
  }

  /** The handshake was refused for a reason that retrying will not fix (the message says which). */
  onFatal(listener: (reason: string) => void): this {
    this.fatalListeners.push(listener);
    return this;
  }

  /** Connection lost (`reason` from socket.io); a reconnect follows unless `close()` was called. */
  onDisconnect(listener: (reason: string) => void): this {
    this.socket.on('disconnect', listener);
    return this;
  }

  setStatus(state: AgentState): Promise<AgentStatusAck> {
    this.desired = state;
    return this.socket.timeout(this.ackTimeoutMs).emitWithAck('agent:status', { state });
  }

  accept(offerId: string): Promise<OfferAcceptAck> {
    return this.socket.timeout(this.ackTimeoutMs).emitWithAck('offer:accept', { offerId });
  }

  reject(offerId: string, reason?: string): Promise<OfferRejectAck> {
    return this.socket
      .timeout(this.ackTimeoutMs)
      .emitWithAck('offer:reject', reason === undefined ? { offerId } : { offerId, reason });
  }

  complete(
    contactId: string,
    resolution: ContactCompletePayload['resolution'],
    notes?: string,
  ): Promise<ContactCompleteAck> {
    return this.socket
      .timeout(this.ackTimeoutMs)
      .emitWithAck(
        'contact:complete',
        notes === undefined ? { contactId, resolution } : { contactId, resolution, notes },
      );
  }

  /** Goes offline (when connected) and closes the connection for good. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    if (this.socket.connected) await this.setStatus('offline').catch(() => undefined);
    this.socket.disconnect();
  }
}
