import { compareIds } from './pass-agent';

/** What queue order is decided on: the only fields that place a contact in its line's queue. */
export interface QueuePlace {
  id: string;
  priority: number;
  enqueuedAt: Date;
}

/**
 * The one definition of queue order: higher priority first, then earlier arrival, then id (so equal arrivals still
 * have one order on every instance). The SQL that reads the head of a queue (`routing_snapshot.sql`, `call_row.sql`'s
 * position, the queue snapshot) must sort the same way: `queue-order.int-spec.ts` proves it against PostgreSQL.
 */
export function compareQueueOrder(a: QueuePlace, b: QueuePlace): number {
  return b.priority - a.priority || a.enqueuedAt.getTime() - b.enqueuedAt.getTime() || compareIds(a.id, b.id);
}
