export * from './pii';
export * from './logger-options';
export * from './tether-metrics';
export * from './metrics.module';
export * from './refusal-aggregator';
