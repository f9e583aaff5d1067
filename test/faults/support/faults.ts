import { randomInt } from 'node:crypto';

/**
 * Shared knobs of the fault/race suite (test/faults). Every spec sizes its load from FAULTS_SCALE: 1 (the default,
 * what `npm test` runs) keeps each file to tens of seconds on a 2-core machine; `FAULTS_SCALE=10 npm run
 * test:faults` is the long version.
 */
export function faultsScale(): number {
  const raw = process.env.FAULTS_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0)
    throw new Error(`FAULTS_SCALE must be a positive number, got ${raw}`);
  return scale;
}

/** `base` × FAULTS_SCALE, rounded, at least 1. */
export function scaled(base: number): number {
  return Math.max(1, Math.round(base * faultsScale()));
}

/**
 * Environment for every process of a fault spec: the agents here send far more events per second than a person
 * does, and every webhook comes from 127.0.0.1; neither limit is what these tests are about.
 */
export const FAULT_ENV: Record<string, string> = {
  TETHER_SOCKET_EVENTS_PER_SECOND: '10000',
  TETHER_WEBHOOK_RATE_LIMIT_PER_SECOND: '1000000',
  TETHER_ADMIN_RATE_LIMIT_PER_SECOND: '1000000',
  TETHER_SOCKET_HANDSHAKES_PER_SECOND: '1000000',
};

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A uniformly random integer in [min, max]. */
export function between(min: number, max: number): number {
  return randomInt(min, max + 1);
}

/** True with probability p. */
export function chance(p: number): boolean {
  return Math.random() < p;
}

/** Runs `work` over `items` with at most `concurrency` in flight; resolves when all are done. */
export async function inPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(lanes);
}

/**
 * Starts `work(i)` at a steady `perSecond` for `durationMs` (without waiting for one to finish before the next),
 * then resolves once every started one has settled, with how many were started.
 */
export async function atSteadyRate(
  perSecond: number,
  durationMs: number,
  work: (index: number) => Promise<void>,
): Promise<number> {
  const started: Promise<void>[] = [];
  const begin = Date.now();
  const total = Math.round((perSecond * durationMs) / 1000);
  for (let i = 0; i < total; i++) {
    const due = begin + (i * 1000) / perSecond;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    started.push(work(i).catch(() => undefined));
  }
  await Promise.all(started);
  return total;
}

/** Milliseconds, rounded, with a unit: for the figures tables. */
export function ms(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '-' : `${Math.round(value)} ms`;
}

/** A time limit (a test's, a wait's) that grows with FAULTS_SCALE, since the load does. */
export function scaledMs(ms: number): number {
  return Math.round(ms * Math.max(1, faultsScale()));
}

/**
 * How much of their answer window offers lost before they existed, as a lower bound per re-offered contact (ms).
 * offers.created_at and expires_at (= now() + offerTimeoutSeconds) are the routing transaction's start, and a pass
 * takes its line's advisory lock inside that transaction: a re-offer whose transaction started before the previous
 * offer of the contact was resolved waited at least that long before it could be written, and its agent gets that
 * much less than offerTimeoutSeconds to answer.
 */
export const OFFER_WINDOW_LOST_MS = `
  SELECT (EXTRACT(EPOCH FROM p.resolved_at - o.created_at) * 1000)::float AS lost_ms
  FROM offers o
  JOIN LATERAL (SELECT resolved_at FROM offers p WHERE p.contact_id = o.contact_id AND p.id <> o.id AND p.created_at <= o.created_at
                  AND p.resolved_at IS NOT NULL ORDER BY p.resolved_at DESC LIMIT 1) p ON true
  WHERE p.resolved_at > o.created_at`;
