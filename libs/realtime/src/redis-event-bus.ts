import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import { EventBus, EventHandler, RecoveryListener } from './event-bus';
import type { TetherEvent } from './tether-events';

/** Hash-tagged so the channel maps to one slot in a Redis Cluster. */
export const EVENTS_CHANNEL = '{tether}:events';

type Client = ReturnType<typeof createClient>;

/** Publishes events on a Redis channel that every instance subscribes to. */
export class RedisEventBus extends EventBus {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly handlers = new Set<EventHandler>();
  private readonly recoveryListeners = new Set<RecoveryListener>();
  private publisher?: Client;
  private subscriber?: Client;

  constructor(private readonly url: string) {
    super();
  }

  async connect(): Promise<void> {
    this.publisher = createClient({ url: this.url });
    this.subscriber = this.publisher.duplicate();
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    }
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(EVENTS_CHANNEL, (message) => this.deliver(message));
    // node-redis re-subscribes by itself after a reconnect, but whatever was published in between is gone
    this.subscriber.on('ready', () => {
      for (const listener of this.recoveryListeners) {
        try {
          listener();
        } catch (error) {
          this.logger.warn(`recovery listener failed: ${(error as Error).message}`);
        }
      }
    });
  }

  private deliver(message: string): void {
    let event: TetherEvent;
    try {
      event = JSON.parse(message) as TetherEvent;
    } catch {
      this.logger.warn('dropped a malformed event from redis');
      return;
    }
    for (const handler of this.handlers) handler(event);
  }

  async publish(event: TetherEvent): Promise<void> {
    if (!this.publisher) throw new Error('RedisEventBus used before connect()');
    await this.publisher.publish(EVENTS_CHANNEL, JSON.stringify(event));
  }

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber?.quit(), this.publisher?.quit()]);
  }

  override async ping(): Promise<boolean> {
    return (await this.publisher?.ping()) === 'PONG';
  }

  override onRecovered(listener: RecoveryListener): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }
}
