import { DynamicModule, INestApplicationContext, InjectionToken } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as NestLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import type { AppName, TetherConfig } from '@tether/config';
import { ContactsWarmUp } from '@tether/contacts';
import { createProcessLogger } from '@tether/observability';
import { CoreBridgeModule } from './core-bridge.module';
import { TetherCoreModule } from './tether-core.module';

/**
 * What a process is: `core` when it runs several apps (`npm start`), else the one app it runs. Work of the core that
 * no app's request, socket or timer started (its own timers, sweeps) logs with this as its `app`; the PostgreSQL
 * pool is named after it (`application_name` `tether`, or `tether-<app>`).
 */
export type ProcessRole = AppName | 'core';

/**
 * The process's shared parts (`TetherCoreModule`), built once in their own Nest application context before any
 * app, closed after every app. Each app imports `bridge()` to use them, so however many apps a process runs it has
 * one data source (one pool, migrations checked once), one event bus, one scheduler poll loop, one expiry clock,
 * one dispatcher, one rules cache; their lifecycle hooks run once, here.
 */
export class TetherCore {
  private readonly appLoggers = new Map<AppName, Logger>();

  private constructor(
    readonly config: TetherConfig & { databaseUrl: string },
    readonly role: ProcessRole,
    private readonly context: INestApplicationContext,
    private readonly processLogger: Logger,
  ) {}

  static async start(config: TetherConfig & { databaseUrl: string }, role: ProcessRole): Promise<TetherCore> {
    const processLogger = createProcessLogger(config);
    const context = await NestFactory.createApplicationContext(
      TetherCoreModule.forRoot(config, {
        applicationName: role === 'core' ? 'tether' : `tether-${role}`,
        role,
        // built before any app's: the one nestjs-pino falls back to outside an app's request, socket or timer
        logger: processLogger.child({ app: role }),
      }),
      // abortOnError off: a start that fails (the schema wait ran out, a migration or the grants refused) reaches
      // the entry point's catch, which says why and exits 1, instead of Nest's process.abort()
      { bufferLogs: true, abortOnError: false },
    );
    context.useLogger(context.get(NestLogger));
    return new TetherCore(config, role, context, processLogger);
  }

  /**
   * Warms the shared parts before any app listens (`ContactsWarmUp`: the pool opened, the hot statements run once on
   * every connection, a routing pass per line). Returns what it did, for the start-up line.
   */
  async warmUp(): Promise<{ connections: number; lines: number }> {
    return this.get<ContactsWarmUp>(ContactsWarmUp).run();
  }

  /** The logger an app's own work writes with (its requests, sockets and timers): the process's, naming the app. */
  loggerFor(app: AppName): Logger {
    let logger = this.appLoggers.get(app);
    if (!logger) {
      logger = this.processLogger.child({ app });
      this.appLoggers.set(app, logger);
    }
    return logger;
  }

  /** One of the shared parts, by its injection token. */
  get<T>(token: InjectionToken): T {
    return this.context.get<unknown, T>(token, { strict: false });
  }

  /** The global module an app imports to inject the shared parts (`SHARED_WITH_APPS`). */
  bridge(): DynamicModule {
    return CoreBridgeModule.of((token) => this.get<object>(token));
  }

  /** Runs the shared parts' shutdown hooks (timers stopped, in-flight work awaited, pool closed). After the apps. */
  close(): Promise<void> {
    return this.context.close();
  }
}
