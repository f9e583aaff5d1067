import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { DurableScheduler, JobHandler } from './durable-scheduler';
import type { JobKind } from './job-map';
import { JOB_HANDLER_METADATA } from './on-job.decorator';

/** Registers every `@OnJob(kind)` method of the application's providers with its scheduler, once, at start-up. */
@Injectable()
export class JobHandlerExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly scheduler: DurableScheduler,
  ) {}

  onModuleInit(): void {
    const owners = new Map<JobKind, string>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || wrapper.isNotMetatype) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const kind = Reflect.getMetadata(JOB_HANDLER_METADATA, fn) as JobKind | undefined;
        if (!kind) continue;
        const owner = `${instance.constructor.name}.${method}`;
        const taken = owners.get(kind);
        if (taken && taken !== owner)
          throw new Error(`job kind ${kind} has two handlers: ${taken} and ${owner}`);
        owners.set(kind, owner);
        this.scheduler.register(kind, (fn as JobHandler).bind(instance));
      }
    }
  }
}
