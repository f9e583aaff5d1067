import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { createDataSource, dataSourceOptions } from './data-source.factory';
import { describeMigrationRun, runMigrations } from './run-migrations';
import { SchemaNotReadyError, waitForSchema } from './schema-version';

/**
 * What a process does about the schema before it serves. `migrate`: run pending migrations and changed SQL sources
 * under the advisory lock, on `migrationUrl` (the schema owner) when given, else on the pool's own connection, then
 * grant `runtimeRole` the apps' privileges when given. `wait`: run no DDL at all, poll until the schema is at this
 * build's version, fail after `timeoutMs` (production line apps and gateway: `schemaDutyFor` in libs/runtime).
 */
export type SchemaDuty =
  { kind: 'migrate'; migrationUrl?: string; runtimeRole?: string } | { kind: 'wait'; timeoutMs: number };

export interface PersistenceOptions {
  url: string;
  poolSize: number;
  applicationName: string;
  /** TETHER_DB_PREPARED_STATEMENTS: the pool prepares its parameterised statements by name (default true) */
  preparedStatements?: boolean;
  /** TETHER_DB_PIPELINE: a transaction's BEGIN goes out with its first statement (default true) */
  pipeline?: boolean;
  schema: SchemaDuty;
  /**
   * Where the schema step reports (what it applied, what it waits for). Default: Nest's logger, which an application
   * context built with `bufferLogs` prints only once it is up: too late for a process that waits.
   */
  log?: (level: 'info' | 'warn', line: string) => void;
}

/**
 * Binds one TypeORM DataSource per process. Repositories use it for transactions and the conditional SQL updates
 * that carry Tether's guarantees (single assignment, atomic claims); the schema is migrated (or waited for) here at
 * start-up, before the pool serves anything.
 */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceOptions): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(options.url, options.poolSize, options.applicationName, {
              preparedStatements: options.preparedStatements,
              pipeline: options.pipeline,
            }),
            // @nestjs/typeorm retries a failed start 9 times, 3 s apart: right for a database not up yet, wrong for
            // a wait for the schema that already took its whole TETHER_SCHEMA_WAIT_SECONDS
            toRetry: (error: unknown) => !(error instanceof SchemaNotReadyError),
          }),
          dataSourceFactory: async (opts) => {
            const nest = new Logger('Persistence');
            const log: NonNullable<PersistenceOptions['log']> =
              options.log ?? ((level, line) => (level === 'warn' ? nest.warn(line) : nest.log(line)));
            const { schema } = options;
            if (schema.kind === 'migrate' && schema.migrationUrl) {
              // the owner's connection lives only as long as the run: two connections (the lock, the migrations)
              const migrator = await createDataSource(
                schema.migrationUrl,
                2,
                `${options.applicationName}-migrate`,
              ).initialize();
              try {
                const applied = describeMigrationRun(
                  await runMigrations(migrator, { runtimeRole: schema.runtimeRole }),
                );
                if (applied) log('info', applied);
              } finally {
                await migrator.destroy();
              }
            }
            const dataSource = await new DataSource(opts!).initialize();
            try {
              if (schema.kind === 'migrate' && !schema.migrationUrl) {
                const applied = describeMigrationRun(
                  await runMigrations(dataSource, { runtimeRole: schema.runtimeRole }),
                );
                if (applied) log('info', applied);
              }
              if (schema.kind === 'wait')
                await waitForSchema(dataSource, {
                  timeoutMs: schema.timeoutMs,
                  log: (line) => log('warn', line),
                });
            } catch (error) {
              await dataSource.destroy().catch(() => undefined);
              throw error;
            }
            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
