import { DynamicModule, ExecutionContext, InjectionToken, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule, ThrottlerOptions } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import type { AppName } from '@tether/config';
import { httpLoggerParams, TetherMetrics } from '@tether/observability';
import type { TetherCore } from '@tether/runtime';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';
import { HealthController } from './health.controller';
import { HttpMetricsHook } from './http-metrics.hook';
import { MetricsController } from './metrics.controller';
import { PUBLIC_ROUTE } from './public-route.decorator';

/**
 * An app's rate limits: @nestjs/throttler's named throttlers, each with its own tracker (an address, an admin
 * token, ...) and `skipIf` (which requests it counts). The app applies `ThrottlerGuard` where its credentials are
 * known: before its auth guard with trackers that identify the caller (admin), or after the signature guard (line
 * apps), so a flood of refused requests never spends the budget of the requests that are let in.
 */
export interface AppThrottling {
  /** what `throttlers` needs, from the core's bridge (`SecretsService`, ...) */
  inject?: InjectionToken[];
  // the injected values arrive untyped, as with any Nest factory
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  throttlers: (...deps: any[]) => ThrottlerOptions[];
}

/**
 * What every app has on top of the process's core: the core's parts (config, database, bus, timers, secrets, the
 * domain services; `TetherCore.bridge()`), request logs that name the app, its rate limits (`AppThrottling`, over
 * one fixed-window storage per app, which the gateway's handshake limits share), `/health`, `/metrics` and the
 * HTTP figures.
 */
@Module({})
export class AppBaseModule {
  static forApp(
    core: TetherCore,
    app: AppName,
    throttling: AppThrottling = { throttlers: () => [] },
  ): DynamicModule {
    return {
      module: AppBaseModule,
      imports: [
        core.bridge(),
        LoggerModule.forRoot(httpLoggerParams(core.loggerFor(app))),
        TerminusModule.forRoot({ logger: false }),
        // per instance, in memory: a cheap first line against floods and brute force
        ThrottlerModule.forRootAsync({
          inject: throttling.inject ?? [],
          useFactory: (...deps: unknown[]) => ({
            throttlers: throttling.throttlers(...deps).map(skippingPublicRoutes),
            storage: new FixedWindowThrottlerStorage(),
            // one bucket per tracker (an address, a token) across all routes, not one per route as by default
            generateKey: (_context: ExecutionContext, tracker: string) => tracker,
          }),
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        {
          provide: HttpMetricsHook,
          useFactory: (host: HttpAdapterHost, metrics: TetherMetrics) =>
            new HttpMetricsHook(host, metrics, app),
          inject: [HttpAdapterHost, TetherMetrics],
        },
      ],
    };
  }
}

/** `/health` and any other @Public() route is never throttled, whatever a throttler's own `skipIf` says. */
function skippingPublicRoutes(throttler: ThrottlerOptions): ThrottlerOptions {
  const skipIf = throttler.skipIf;
  return {
    ...throttler,
    skipIf: (context) => isPublicRoute(context) || (skipIf?.(context) ?? false),
  };
}

export function isPublicRoute(context: ExecutionContext): boolean {
  return (
    Reflect.getMetadata(PUBLIC_ROUTE, context.getHandler()) === true ||
    Reflect.getMetadata(PUBLIC_ROUTE, context.getClass()) === true
  );
}
