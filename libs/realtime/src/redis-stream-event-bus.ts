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
  private writer?: Client;
  private reader?: Client;
  private lastId = '0-0';
  private running = false;
  private loop?: Promise<void>;

  constructor(private readonly url: string) {
    super();
  }

  async connect(): Promise<void> {
    this.writer = createClient({ url: this.url });
    this.reader = this.writer.duplicate();
    for (const client of [this.writer, this.reader]) {
      client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    }
    await Promise.all([this.writer.connect(), this.reader.connect()]);
    // start after the newest entry: history before this instance existed is not its business
    const newest = await this.writer.sendCommand<[string, string[]][]>([
      'XREVRANGE',
      EVENTS_STREAM,
      '+',
      '-',
      'COUNT',
      '1',
    ]);
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
        for (const [id, fields] of entries) {
          this.lastId = id;
          const json = fields[fields.indexOf('e') + 1];
          if (json) this.deliver(json);
        }
      }
    }
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
    this.running = false;
    // the reader may sit in a blocking XREAD: disconnecting it ends the loop at once
    this.reader?.destroy();
    await this.writer?.quit().catch(() => undefined);
    await this.loop?.catch(() => undefined);
  }
}
