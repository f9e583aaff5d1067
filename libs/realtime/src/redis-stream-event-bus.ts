import { Logger } from '@nestjs/common';
import { AsyncResource } from 'node:async_hooks';
import { createClient } from 'redis';
import { EventBus, EventHandler, RecoveryListener } from './event-bus';
import type { TetherEvent } from './tether-events';

/** Hash-tagged so the stream maps to one slot in a Redis Cluster. */
export const EVENTS_STREAM = '{tether}:events:stream';
/** ~2 minutes of events at 1,000/s: enough to ride out a Redis or network blip without losing one. */
const STREAM_MAX_LENGTH = 120_000;
const BLOCK_MS = 2_000;
const BATCH = 500;

type Client = ReturnType<typeof createClient>;
type XReadReply = [string, [string, string[]][]][] | null;

/**
 * The multi-instance event bus on a Redis Stream. Unlike pub/sub, a subscriber that loses its connection resumes
 * from the last id it saw, so a Redis blip delays events instead of dropping them (the same reason
 * @socket.io/redis-streams-adapter exists). Each instance reads the whole stream and delivers to its own sockets.
 */
export class RedisStreamEventBus extends EventBus {
  private readonly logger = new Logger(RedisStreamEventBus.name);
  private readonly handlers = new Set<EventHandler>();
  private readonly recoveryListeners = new Set<RecoveryListener>();
  private readonly lagListeners = new Set<(seconds: number) => void>();
  private writer?: Client;
  private reader?: Client;
  private lastId = '0-0';
  private running = false;
  private loop?: Promise<void>;

  /**
   * `url` is REDIS_URL: `redis://[[user]:password@]host:port[/db]`, or `rediss://` for TLS (the server's certificate is
   * verified against Node's CAs, plus NODE_EXTRA_CA_CERTS for a private CA). `options.ca` trusts one more CA for this
   * bus alone (tests).
   */
  constructor(
    private readonly url: string,
    private readonly options: { ca?: string } = {},
  ) {
    super();
  }

  async connect(): Promise<void> {
    this.writer = createClient({
      url: this.url,
      ...(this.options.ca ? { socket: { tls: true, ca: this.options.ca } } : {}),
    });
    this.reader = this.writer.duplicate();
    const clients = [this.writer, this.reader];
    // Redis not there yet is waited for (node-redis reconnects); Redis refusing this instance (the password, the
    // TLS certificate) will not change by retrying: the start fails at once, saying why
    let refuse: (error: Error) => void = () => undefined;
    const refused = new Promise<never>((_, reject) => (refuse = reject));
    for (const client of clients) {
      client.on('error', (error: Error) => {
        if (isRefusal(error)) refuse(error);
        this.logger.warn(`redis: ${error.message}`);
      });
    }
    const writer = this.writer;
    const ready = (async () => {
      await Promise.all(clients.map((client) => client.connect()));
      // start after the newest entry: history before this instance existed is not its business
      return writer.sendCommand<[string, string[]][]>(['XREVRANGE', EVENTS_STREAM, '+', '-', 'COUNT', '1']);
    })();
    ready.catch(() => undefined); // when refused first, what the destroyed clients answer later goes nowhere
    let newest: [string, string[]][];
    try {
      newest = await Promise.race([ready, refused]);
    } catch (error) {
      for (const client of clients) destroyQuietly(client);
      this.writer = this.reader = undefined;
      throw new Error(`Redis at REDIS_URL cannot be used: ${(error as Error).message}`);
    } finally {
      refuse = () => undefined;
    }
    this.lastId = newest[0]?.[0] ?? '0-0';
    this.running = true;
    this.loop = this.readLoop();
  }

  private async readLoop(): Promise<void> {
    let failing = false;
    while (this.running) {
      let reply: XReadReply;
      try {
        reply = await this.reader!.sendCommand<XReadReply>([
          'XREAD',
          'COUNT',
          String(BATCH),
          'BLOCK',
          String(BLOCK_MS),
          'STREAMS',
          EVENTS_STREAM,
          this.lastId,
        ]);
      } catch (error) {
        if (!this.running) return;
        this.logger.warn(
          `event stream read failed, resuming from ${this.lastId}: ${(error as Error).message}`,
        );
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      if (failing) {
        failing = false;
        this.logger.log(`event stream readable again from ${this.lastId}`);
        this.notifyRecovered();
      }
      for (const [, entries] of reply ?? []) {
        const readAt = Date.now();
        for (const [id, fields] of entries) {
          this.lastId = id;
          // an entry's id starts with the Redis server's clock at XADD, in ms
          if (this.lagListeners.size > 0) this.notifyLag((readAt - Number(id.split('-')[0])) / 1000);
          const json = fields[fields.indexOf('e') + 1];
          if (json) this.deliver(json);
        }
      }
    }
  }

  /** Calls `listener` with each event's lag, seconds from its XADD (Redis's clock) to this process reading it. */
  onLag(listener: (seconds: number) => void): () => void {
    this.lagListeners.add(listener);
    return () => this.lagListeners.delete(listener);
  }

  private notifyLag(seconds: number): void {
    for (const listener of this.lagListeners) listener(Math.max(0, seconds));
  }

  private notifyRecovered(): void {
    for (const listener of this.recoveryListeners) {
      try {
        listener();
      } catch (error) {
        this.logger.warn(`recovery listener failed: ${(error as Error).message}`);
      }
    }
  }

  private deliver(json: string): void {
    let event: TetherEvent;
    try {
      event = JSON.parse(json) as TetherEvent;
    } catch {
      this.logger.warn('dropped a malformed event from the stream');
      return;
    }
    for (const handler of this.handlers) handler(event);
  }

  async publish(event: TetherEvent): Promise<void> {
    if (!this.writer) throw new Error('RedisStreamEventBus used before connect()');
    await this.writer.sendCommand([
      'XADD',
      EVENTS_STREAM,
      'MAXLEN',
      '~',
      String(STREAM_MAX_LENGTH),
      '*',
      'e',
      JSON.stringify(event),
    ]);
  }

  /** The handler runs in the async context it subscribed from (its app's logs), like the in-process bus's. */
  subscribe(handler: EventHandler): () => void {
    const bound = AsyncResource.bind(handler);
    this.handlers.add(bound);
    return () => this.handlers.delete(bound);
  }

  override async ping(): Promise<boolean> {
    return (await this.writer?.ping()) === 'PONG';
  }

  override onRecovered(listener: RecoveryListener): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  async close(): Promise<void> {
    const { writer, reader } = this;
    if (!writer) return;
    this.writer = this.reader = undefined;
    this.running = false;
    // the reader may sit in a blocking XREAD: disconnecting it ends the loop at once
    destroyQuietly(reader);
    // pending publishes get a moment to finish; a writer that cannot reach Redis (an outage, a refused connection
    // being retried) is dropped rather than waited for
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.resolve()
        .then(() => writer.quit())
        .catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 2_000))),
    ]);
    clearTimeout(timer);
    destroyQuietly(writer);
    await this.loop?.catch(() => undefined);
  }
}

function destroyQuietly(client: Client | undefined): void {
  try {
    client?.destroy();
  } catch {
    // never opened, or closed already
  }
}

/**
 * An error that retrying cannot cure: Redis refused the credentials (NOAUTH, WRONGPASS, a password for a server
 * without one) or the TLS handshake failed on the certificate.
 */
function isRefusal(error: Error): boolean {
  if (/^(NOAUTH|WRONGPASS)\b|AUTH <password> called without any password configured/.test(error.message))
    return true;
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    /^(ERR_TLS_CERT|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|UNABLE_TO_(GET|VERIFY)_)/.test(code)
  );
}
