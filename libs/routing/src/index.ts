export * from './routing.types';
export * from './routing-engine';
export * from './routing-rules';
export * from './queue-order';
export * from './preferred-agent.policy';
export { isReady } from './pass-agent';
export * from './routing-rules-diff';
