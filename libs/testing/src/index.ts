export * from './free-port';
export * from './wait-for';
export * from './test-database';
export * from './test-redis';
