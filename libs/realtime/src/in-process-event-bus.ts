import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { EventBus, EventHandler } from './event-bus';
import type { TetherEvent } from './tether-events';

/**
 * The bus of a process that runs alone (`npm start`, or one app without REDIS_URL): every app of the process gets
 * this one instance from the process's core, so a webhook on the sales app reaches a socket on the gateway app
 * without Redis. Delivery is asynchronous, like the Redis bus, so code does not come to rely on synchronous delivery
 * that production would not give; and a handler runs in the async context it subscribed from (as it would reading
 * from Redis), not in the publisher's request, so its logs name the subscriber's app.
 */
export class InProcessEventBus extends EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(event: TetherEvent): Promise<void> {
    setImmediate(() => this.emitter.emit('event', event));
    return Promise.resolve();
  }

  subscribe(handler: EventHandler): () => void {
    const bound = AsyncResource.bind(handler);
    this.emitter.on('event', bound);
    return () => this.emitter.off('event', bound);
  }
}
