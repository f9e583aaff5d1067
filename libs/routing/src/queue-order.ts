import { compareIds } from './pass-agent';
import type { RoutingPlan } from './rule-set.types';

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

/** The highest priority growth reaches unless its rule says otherwise (the highest a rule can state). */
export const DEFAULT_GROWTH_MAX = 100;

/**
 * A contact's priority at `nowMs`: its priority, plus its rule's `priorityGrowth` (`by` points for every whole
 * `everySeconds` waited, up to `max`; growth never lowers a priority already above `max`). Without growth: its
 * priority. The engine orders a pass's queue by this; the SQL reads (at most `CONTACTS_PER_PASS` contacts, the
 * webhook's queue position) order by the stored priority.
 */
export function effectivePriority(
  contact: { priority: number; enqueuedAt: Date; plan?: RoutingPlan | null },
  nowMs: number,
): number {
  const growth = contact.plan?.priorityGrowth;
  if (growth === undefined) return contact.priority;
  const steps = Math.floor(Math.max(0, nowMs - contact.enqueuedAt.getTime()) / (growth.everySeconds * 1000));
  const max = growth.max ?? DEFAULT_GROWTH_MAX;
  return Math.max(contact.priority, Math.min(max, contact.priority + steps * growth.by));
}
