import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source.factory';
import { describeMigrationRun, runMigrations } from './run-migrations';

export interface PersistenceOptions {
  url: string;
  poolSize: number;
  applicationName: string;
  /** run pending migrations and changed SQL sources (under an advisory lock) before the app serves */
  migrate: boolean;
}

/**
 * Binds one TypeORM DataSource per process. Repositories use it for transactions and the conditional SQL updates
 * that carry Tether's guarantees (single assignment, atomic claims); migrations run here at start-up.
 */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceOptions): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(options.url, options.poolSize, options.applicationName),
          dataSourceFactory: async (opts) => {
            const dataSource = await new DataSource(opts!).initialize();
            if (options.migrate) {
              const applied = describeMigrationRun(await runMigrations(dataSource));
              if (applied) new Logger('Persistence').log(applied);
            }
            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
