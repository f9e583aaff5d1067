import { Global, Module } from '@nestjs/common';
import { DurableScheduler } from './durable-scheduler';

@Global()
@Module({ providers: [DurableScheduler], exports: [DurableScheduler] })
export class SchedulerModule {}
