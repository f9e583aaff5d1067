export * from './durable-scheduler';
export * from './scheduler.module';
export * from './wake-timer';
