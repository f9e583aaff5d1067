export * from './pii';
export * from './logger-options';
