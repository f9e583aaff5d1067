export * from './durable-scheduler';
export * from './job-map';
export * from './on-job.decorator';
export * from './scheduler.module';
export * from './wake-timer';
