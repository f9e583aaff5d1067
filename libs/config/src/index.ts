export * from './env.schema';
export * from './tether-config';
export * from './load-config';
export * from './secret-checks';
export * from './config.module';
export * from './trusted-proxies';
