import type { DueJob } from './durable-scheduler';
import type { JobKind } from './job-map';

export const JOB_HANDLER_METADATA = 'tether:job-handler';

/**
 * Marks the method that handles one durable timer kind; `JobHandlerExplorer` finds it at start-up and registers it
 * with the process's scheduler (one handler per kind: a second one fails the start). The method either finishes
 * (the job is deleted) or throws (retried with backoff); it must be idempotent.
 */
export function OnJob<K extends JobKind>(kind: K) {
  return (
    _target: object,
    _method: string | symbol,
    descriptor: TypedPropertyDescriptor<(job: DueJob<K>) => Promise<void>>,
  ): void => {
    Reflect.defineMetadata(JOB_HANDLER_METADATA, kind, descriptor.value!);
  };
}
