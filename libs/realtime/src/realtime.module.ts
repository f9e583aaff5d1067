import { DynamicModule, Global, Module, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventBus } from './event-bus';
import { InProcessEventBus } from './in-process-event-bus';
import { RedisStreamEventBus } from './redis-stream-event-bus';

@Global()
@Module({})
export class RealtimeModule implements OnApplicationShutdown {
  constructor(private readonly moduleRef: ModuleRef) {}

  static forRoot(options: { redisUrl?: string }): DynamicModule {
    return {
      module: RealtimeModule,
      providers: [
        {
          provide: EventBus,
          useFactory: async () => {
            if (!options.redisUrl) return new InProcessEventBus();
            const bus = new RedisStreamEventBus(options.redisUrl);
            await bus.connect();
            return bus;
          },
        },
      ],
      exports: [EventBus],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    const bus = this.moduleRef.get(EventBus, { strict: false });
    if (bus instanceof RedisStreamEventBus) await bus.close();
  }
}
