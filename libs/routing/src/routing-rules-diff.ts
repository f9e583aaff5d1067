/** One difference between two versions of a line's routing rules, at a JSON path (`sticky.waitSeconds`). */
export interface RoutingRulesChange {
  /** JSON path: object keys joined by `.`, array entries as `[i]` (`rules[2].priority`) */
  path: string;
  /** absent when the path did not exist before */
  before?: unknown;
  /** absent when the path no longer exists */
  after?: unknown;
}

/**
 * What changed from `before` to `after`, leaf by leaf, in a stable order (keys sorted, array entries by index): the
 * `diff` of a routing version against the one before it. Values are compared as JSON; an object or array replaced
 * by a scalar (or the reverse) is one change at its own path.
 */
export function diffRoutingRules(before: unknown, after: unknown): RoutingRulesChange[] {
  const changes: RoutingRulesChange[] = [];
  walk(before, after, '', changes);
  return changes;
}

function walk(before: unknown, after: unknown, path: string, changes: RoutingRulesChange[]): void {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const child = path === '' ? key : `${path}.${key}`;
      if (!Object.hasOwn(after, key)) changes.push({ path: child, before: before[key] });
      else if (!Object.hasOwn(before, key)) changes.push({ path: child, after: after[key] });
      else walk(before[key], after[key], child, changes);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const child = `${path}[${i}]`;
      if (i >= after.length) changes.push({ path: child, before: before[i] as unknown });
      else if (i >= before.length) changes.push({ path: child, after: after[i] as unknown });
      else walk(before[i], after[i], child, changes);
    }
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ path, before, after });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
