export * from './data-source.factory';
export * from './run-migrations';
export * from './sql-sources';
export * from './embedded-postgres';
export * from './persistence.module';
export * from './sql';
export * from './transaction';
export { MIGRATIONS } from './migrations';
