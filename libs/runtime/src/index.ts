export * from './tether-core';
export * from './tether-core.module';
export * from './core-bridge.module';
export * from './lifecycle-free';
export * from './tether-process';
export * from './app-default-port';
export * from './schema-duty';
export * from './app-warm-up';
