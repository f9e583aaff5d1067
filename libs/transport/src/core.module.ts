import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from '@tether/auth';
import { AppName, ConfigModule, TetherConfig } from '@tether/config';
import { loggerParams } from '@tether/observability';
import { PersistenceModule } from '@tether/persistence';
import { RealtimeModule } from '@tether/realtime';
import { SchedulerModule } from '@tether/scheduler';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';
import { HealthController } from './health.controller';

/** What every app has: validated config, safe logs, the database, the event bus, durable timers, secrets, /health. */
@Module({})
export class CoreModule {
  static forRoot(config: TetherConfig & { databaseUrl: string }, app: AppName): DynamicModule {
    const perMinute = app === 'admin' ? config.adminRateLimitPerMinute : config.webhookRateLimitPerMinute;
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config, app)),
        PersistenceModule.forRoot({
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          applicationName: `tether-${app}`,
          migrate: true,
        }),
        RealtimeModule.forRoot({ redisUrl: config.redisUrl }),
        SchedulerModule,
        AuthModule,
        TerminusModule.forRoot({ logger: false }),
        // per client address, per instance (in memory): a cheap first line against floods and brute force
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', ttl: 60_000, limit: perMinute }],
          storage: new FixedWindowThrottlerStorage(),
        }),
      ],
      controllers: [HealthController],
    };
  }
}
