/**
 * What the harness and the e2e jest environment (test/support/e2e-environment.ts) share through the test file's
 * global object. The environment runs outside jest's module registry and cannot import this file, so it repeats
 * the two key strings; keep them equal.
 */
export const E2E_FAILURES_KEY = '__tetherE2eFailures';
export const E2E_CHILDREN_KEY = '__tetherE2eChildren';

const shared = globalThis as Record<string, unknown>;

/** Failed tests and hooks so far in this test file (0 outside the e2e environment). */
export function e2eFailureCount(): number {
  const value = shared[E2E_FAILURES_KEY];
  return typeof value === 'number' ? value : 0;
}

/**
 * Child processes started by this test file and still running: pid -> label. The environment SIGKILLs whatever is
 * left when the file ends: a system whose start outlived a timed-out beforeAll must not keep jest (or a port) busy.
 * (A `process.on('exit')` hook cannot do this: jest gives each test file its own copy of `process`.) A plain
 * object, not a Map: the environment reads it from another realm, where `instanceof Map` does not hold.
 */
export function e2eChildren(): Record<string, string> {
  const existing = shared[E2E_CHILDREN_KEY];
  if (typeof existing === 'object' && existing !== null) return existing as Record<string, string>;
  const children: Record<string, string> = {};
  shared[E2E_CHILDREN_KEY] = children;
  return children;
}
