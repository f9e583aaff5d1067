import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does to traffic, switchable at runtime:
 * - `pass`: forwards bytes both ways.
 * - `latency`: forwards every chunk `ms` later (order kept).
 * - `blackhole`: a network partition. Accepts connections but forwards nothing, either way: bytes (and closes)
 *   are held, as TCP keeps retransmitting across a partition, and delivered in order once the mode changes back;
 *   a connection accepted meanwhile reaches the upstream only then. Neither side sees an error.
 * - `reset`: destroys every connection (both sides at once, as an RST would) and every new one on accept, until
 *   the mode changes.
 */
export type FaultMode =
  { kind: 'pass' } | { kind: 'blackhole' } | { kind: 'reset' } | { kind: 'latency'; ms: number };

export const FAULT_PASS: FaultMode = { kind: 'pass' };
export const FAULT_BLACKHOLE: FaultMode = { kind: 'blackhole' };
export const FAULT_RESET: FaultMode = { kind: 'reset' };
export function faultLatency(ms: number): FaultMode {
  return { kind: 'latency', ms };
}

export interface FaultProxyOptions {
  /** where traffic goes: `host:port`, or any URL with a host and port (`redis://127.0.0.1:6379`, `postgres://...`) */
  target: string;
  /** names the proxy in errors and stats ("redis", "postgres") */
  label?: string;
  mode?: FaultMode;
}

export interface FaultProxyStats {
  /** connections accepted since the start */
  accepted: number;
  /** connections open now */
  open: number;
  /** connections destroyed by `reset` (existing and refused new ones) */
  reset: number;
  /** bytes forwarded towards the target / back to the clients */
  bytesUp: number;
  bytesDown: number;
}

/** A chunk of bytes or the end of one direction of a connection, due at `at` (ms since epoch). */
interface Held {
  at: number;
  chunk: Buffer | null;
}

/** One direction of one connection: what `from` sent, waiting to be written to `to`. */
class Lane {
  readonly queue: Held[] = [];
  timer?: NodeJS.Timeout;
  /** the end of this direction is queued: nothing more comes from `from` */
  endQueued = false;

  constructor(
    readonly from: Socket,
    public to: Socket | undefined,
    readonly direction: 'up' | 'down',
  ) {}
}

class ProxiedConnection {
  upstream?: Socket;
  readonly up: Lane;
  readonly down: Lane;
  closed = false;

  constructor(readonly client: Socket) {
    this.up = new Lane(client, undefined, 'up');
    this.down = new Lane(client, client, 'down');
  }
}

/**
 * A TCP proxy for fault injection in e2e tests: put it between the apps and Redis or PostgreSQL (point REDIS_URL /
 * DATABASE_URL at `route(url)`), then switch `setMode` to cut, stall or slow the link while the system runs.
 * Only node:net; it lives in the test process, so switching is instant and needs no privileges.
 */
export class FaultProxy {
  private readonly server: Server;
  private readonly connections = new Set<ProxiedConnection>();
  private current: FaultMode;
  private listeningPort = 0;
  private readonly counters: FaultProxyStats = { accepted: 0, open: 0, reset: 0, bytesUp: 0, bytesDown: 0 };
  private readonly targetHost: string;
  private readonly targetPort: number;
  readonly label: string;

  private constructor(options: FaultProxyOptions) {
    const { host, port } = parseTarget(options.target);
    this.targetHost = host;
    this.targetPort = port;
    this.label = options.label ?? `proxy to ${host}:${port}`;
    this.current = options.mode ?? FAULT_PASS;
    this.server = createServer((client) => this.accept(client));
  }

  /** Listens on a free port of 127.0.0.1. Pair with `stop()`. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error(`${proxy.label}: no TCP address`);
    proxy.listeningPort = address.port;
    return proxy;
  }

  get port(): number {
    return this.listeningPort;
  }

  get mode(): FaultMode {
    return this.current;
  }

  get stats(): FaultProxyStats {
    return { ...this.counters, open: this.connections.size };
  }

  /** `url` with its host and port replaced by the proxy's: what to hand to the processes instead of `url`. */
  route(url: string): string {
    const routed = new URL(url);
    routed.hostname = '127.0.0.1';
    routed.port = String(this.listeningPort);
    return routed.toString();
  }

  /** Switches the mode now; returns the time of the switch (ms since epoch) for recovery measurements. */
  setMode(mode: FaultMode): number {
    const at = Date.now();
    this.current = mode;
    switch (mode.kind) {
      case 'reset':
        for (const connection of [...this.connections]) this.destroy(connection, true);
        break;
      case 'blackhole':
        for (const connection of this.connections) {
          connection.client.pause();
          connection.upstream?.pause();
        }
        break;
      case 'pass':
      case 'latency':
        for (const connection of this.connections) this.release(connection);
        break;
    }
    return at;
  }

  /** Closes the listener and destroys every connection. Safe to call twice. */
  async stop(): Promise<void> {
    for (const connection of [...this.connections]) this.destroy(connection, false);
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.counters.accepted++;
    client.setNoDelay(true);
    if (this.current.kind === 'reset') {
      this.counters.reset++;
      client.resetAndDestroy();
      return;
    }
    const connection = new ProxiedConnection(client);
    this.connections.add(connection);
    client.on('data', (chunk: Buffer) => this.hold(connection, connection.up, chunk));
    client.on('end', () => this.hold(connection, connection.up, null));
    client.on('error', () => undefined);
    client.on('close', () => this.onClosed(connection, connection.up));
    if (this.current.kind === 'blackhole') client.pause();
    else this.connectUpstream(connection);
  }

  /** The upstream side is opened only outside a blackhole (a partition also swallows the SYN). */
  private connectUpstream(connection: ProxiedConnection): void {
    if (connection.upstream || connection.closed) return;
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    upstream.setNoDelay(true);
    connection.upstream = upstream;
    connection.up.to = upstream;
    upstream.on('data', (chunk: Buffer) => this.hold(connection, connection.down, chunk));
    upstream.on('end', () => this.hold(connection, connection.down, null));
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.onClosed(connection, connection.down));
    upstream.on('connect', () => this.pump(connection, connection.up));
  }

  private hold(connection: ProxiedConnection, lane: Lane, chunk: Buffer | null): void {
    if (lane.endQueued) return;
    if (chunk === null) lane.endQueued = true;
    const delay = this.current.kind === 'latency' ? this.current.ms : 0;
    lane.queue.push({ at: Date.now() + delay, chunk });
    this.pump(connection, lane);
  }

  /** Writes what is due, in order; a blackhole writes nothing. */
  private pump(connection: ProxiedConnection, lane: Lane): void {
    if (connection.closed || this.current.kind === 'blackhole' || this.current.kind === 'reset') return;
    const to = lane.to;
    if (!to || to.connecting) return; // the upstream's 'connect' pumps again
    const now = Date.now();
    while (lane.queue.length > 0 && lane.queue[0].at <= now) {
      const { chunk } = lane.queue.shift()!;
      if (chunk === null) {
        to.end();
        return;
      }
      if (lane.direction === 'up') this.counters.bytesUp += chunk.length;
      else this.counters.bytesDown += chunk.length;
      to.write(chunk);
    }
    if (lane.queue.length > 0 && !lane.timer) {
      lane.timer = setTimeout(
        () => {
          lane.timer = undefined;
          this.pump(connection, lane);
        },
        Math.max(0, lane.queue[0].at - now),
      );
    }
  }

  /** Leaving a blackhole: open what was waiting to connect, resume reading, deliver what was held. */
  private release(connection: ProxiedConnection): void {
    if (connection.closed) return;
    connection.client.resume();
    connection.upstream?.resume();
    if (!connection.upstream) this.connectUpstream(connection);
    this.pump(connection, connection.up);
    this.pump(connection, connection.down);
  }

  /**
   * One side closed. Outside a blackhole the other side follows once what was held for it is written; in a
   * blackhole the close is held with the bytes (the peer learns of it when the partition heals).
   */
  private onClosed(connection: ProxiedConnection, lane: Lane): void {
    if (connection.closed) return;
    this.hold(connection, lane, null);
    const otherSide = lane.direction === 'up' ? connection.upstream : connection.client;
    const bothGone = connection.client.destroyed && (!connection.upstream || connection.upstream.destroyed);
    if (bothGone || (otherSide === undefined && this.current.kind !== 'blackhole'))
      this.destroy(connection, false);
  }

  private destroy(connection: ProxiedConnection, reset: boolean): void {
    if (connection.closed) return;
    connection.closed = true;
    this.connections.delete(connection);
    for (const lane of [connection.up, connection.down]) if (lane.timer) clearTimeout(lane.timer);
    if (reset) {
      this.counters.reset++;
      if (!connection.client.destroyed) connection.client.resetAndDestroy();
      if (connection.upstream && !connection.upstream.destroyed) connection.upstream.resetAndDestroy();
    } else {
      connection.client.destroy();
      connection.upstream?.destroy();
    }
  }
}

function parseTarget(target: string): { host: string; port: number } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    const url = new URL(target);
    if (!url.port) throw new Error(`FaultProxy target ${target} names no port`);
    return { host: url.hostname, port: Number(url.port) };
  }
  const match = /^(.+):(\d+)$/.exec(target);
  if (!match) throw new Error(`FaultProxy target must be host:port or a URL with a port, got ${target}`);
  return { host: match[1], port: Number(match[2]) };
}
