export * from './tether-events';
export * from './agent-socket-events';
export * from './supervisor-socket-events';
export * from './event-bus';
export * from './in-process-event-bus';
export * from './realtime.module';
export * from './redis-stream-event-bus';
export * from './case-payloads';
