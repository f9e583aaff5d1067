import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DurableScheduler } from './durable-scheduler';
import { JobHandlerExplorer } from './job-handler.explorer';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [DurableScheduler, JobHandlerExplorer],
  exports: [DurableScheduler],
})
export class SchedulerModule {}
