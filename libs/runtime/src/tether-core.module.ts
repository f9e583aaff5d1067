import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AgentsModule } from '@tether/agents';
import { AuthModule } from '@tether/auth';
import { AppName, ConfigModule, TetherConfig } from '@tether/config';
import { ContactsModule } from '@tether/contacts';
import { CasesModule } from '@tether/cases';
import { IncidentsModule } from '@tether/incidents';
import { ReportsModule } from '@tether/reports';
import { CustomersModule } from '@tether/customers';
import { LinesModule } from '@tether/lines';
import { coreLoggerParams, MetricsModule } from '@tether/observability';
import { PersistenceModule } from '@tether/persistence';
import { RealtimeModule } from '@tether/realtime';
import { SchedulerModule } from '@tether/scheduler';
import { SupervisionModule } from '@tether/supervision';
import { UsersModule } from '@tether/users';
import { MetricsPortServer } from './metrics-port.server';
import { schemaDutyFor } from './schema-duty';

/**
 * The process's shared parts, built once whatever apps run on top: config, the data source (one pool; the schema
 * migrated, or in production waited for, at start: `schemaDutyFor`), the event bus, durable timers, secrets, and
 * the domain (agents, customers, contacts with their dispatcher and expiry clock, telephony callbacks). Root of the core's Nest application context (`TetherCore`).
 */
@Module({})
export class TetherCoreModule {
  static forRoot(
    config: TetherConfig & { databaseUrl: string },
    options: { applicationName: string; logger: Logger; role: AppName | 'core' },
  ): DynamicModule {
    const persistenceLog = options.logger.child({ context: 'Persistence' });
    return {
      module: TetherCoreModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        LoggerModule.forRoot(coreLoggerParams(options.logger)),
        PersistenceModule.forRoot({
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          preparedStatements: config.databasePreparedStatements,
          pipeline: config.databasePipeline,
          applicationName: options.applicationName,
          schema: schemaDutyFor(config, options.role),
          log: (level, line) => persistenceLog[level](line),
        }),
        RealtimeModule.forRoot({ redisUrl: config.redisUrl }),
        SchedulerModule,
        AuthModule,
        AgentsModule,
        CustomersModule,
        CasesModule,
        IncidentsModule,
        ReportsModule,
        SupervisionModule,
        LinesModule,
        ContactsModule,
        UsersModule,
      ],
      providers: [MetricsPortServer],
    };
  }
}
