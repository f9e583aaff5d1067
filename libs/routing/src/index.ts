export * from './routing.types';
export * from './routing-engine';
export * from './routing-rules';
