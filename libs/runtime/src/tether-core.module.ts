import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AgentsModule } from '@tether/agents';
import { AuthModule } from '@tether/auth';
import { ConfigModule, TetherConfig } from '@tether/config';
import { ContactsModule } from '@tether/contacts';
import { CustomersModule } from '@tether/customers';
import { LinesModule } from '@tether/lines';
import { coreLoggerParams } from '@tether/observability';
import { PersistenceModule } from '@tether/persistence';
import { RealtimeModule } from '@tether/realtime';
import { SchedulerModule } from '@tether/scheduler';

/**
 * The process's shared parts, built once whatever apps run on top: config, the data source (one pool, migrations
 * checked at start), the event bus, durable timers, secrets, and the domain (agents, customers, contacts with their
 * dispatcher and expiry clock, telephony callbacks). Root of the core's Nest application context (`TetherCore`).
 */
@Module({})
export class TetherCoreModule {
  static forRoot(
    config: TetherConfig & { databaseUrl: string },
    options: { applicationName: string; logger: Logger },
  ): DynamicModule {
    return {
      module: TetherCoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(coreLoggerParams(options.logger)),
        PersistenceModule.forRoot({
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          applicationName: options.applicationName,
          migrate: true,
        }),
        RealtimeModule.forRoot({ redisUrl: config.redisUrl }),
        SchedulerModule,
        AuthModule,
        AgentsModule,
        CustomersModule,
        LinesModule,
        ContactsModule,
      ],
    };
  }
}
