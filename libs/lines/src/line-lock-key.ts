import { createHash } from 'node:crypto';
import type { Line } from '@tether/routing';

/**
 * The advisory-lock key of a line's routing passes (`pg_advisory_xact_lock(bigint)`): the first 8 bytes of
 * SHA-256(`tether.line:<name>`) as a signed 64-bit integer. Derived from the name alone, so every instance, of any
 * version, computes the same key for a line without a table or a list; the `tether.line:` prefix keeps the keys
 * apart from other advisory locks' (the migration lock's is a small constant).
 */
export function lineLockKey(line: Line): bigint {
  return createHash('sha256').update(`tether.line:${line}`).digest().readBigInt64BE(0);
}
