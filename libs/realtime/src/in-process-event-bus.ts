import { EventEmitter } from 'node:events';
import { EventBus, EventHandler } from './event-bus';
import type { TetherEvent } from './tether-events';

const GLOBAL_KEY = Symbol.for('tether.in-process-event-bus');

/**
 * All five apps started in one process (npm start) share this emitter, so a webhook on the sales app reaches a
 * socket on the gateway app without Redis. Delivery is asynchronous, like the Redis bus, so code does not come to
 * rely on synchronous delivery that production would not give.
 */
export class InProcessEventBus extends EventBus {
  private readonly emitter: EventEmitter;

  constructor() {
    super();
    const holder = globalThis as unknown as Record<symbol, EventEmitter | undefined>;
    holder[GLOBAL_KEY] ??= new EventEmitter().setMaxListeners(0);
    this.emitter = holder[GLOBAL_KEY];
  }

  publish(event: TetherEvent): Promise<void> {
    setImmediate(() => this.emitter.emit('event', event));
    return Promise.resolve();
  }

  subscribe(handler: EventHandler): () => void {
    this.emitter.on('event', handler);
    return () => this.emitter.off('event', handler);
  }
}
