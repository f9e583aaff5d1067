import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import type { AppName } from '@tether/config';
import { httpLoggerParams } from '@tether/observability';
import type { TetherCore } from '@tether/runtime';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';
import { HealthController } from './health.controller';

/**
 * What every app has on top of the process's core: the core's parts (config, database, bus, timers, secrets, the
 * domain services; `TetherCore.bridge()`), request logs that name the app, a rate limit per client address, `/health`.
 */
@Module({})
export class AppBaseModule {
  static forApp(core: TetherCore, app: AppName): DynamicModule {
    const { config } = core;
    const perMinute = app === 'admin' ? config.adminRateLimitPerMinute : config.webhookRateLimitPerMinute;
    return {
      module: AppBaseModule,
      imports: [
        core.bridge(),
        LoggerModule.forRoot(httpLoggerParams(core.loggerFor(app))),
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
