export * from './durable-scheduler';
export * from './scheduler.module';
