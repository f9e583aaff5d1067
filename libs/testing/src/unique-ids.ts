import { randomBytes, randomInt } from 'node:crypto';

const runTag = randomBytes(3).toString('hex');
const phoneBase = randomInt(0, 5_000_000);
let sequence = 0;

/** A provider call id no other test (of this run) uses, so tests sharing one system never see each other's calls. */
export function uniqueCallId(prefix = 'CA'): string {
  return `${prefix}-${runTag}-${++sequence}`;
}

/** A caller number (E.164, +1 555 range) no other test of this run uses: a new customer unless registered. */
export function uniquePhone(): string {
  return `+1555${String(phoneBase + ++sequence).padStart(7, '0')}`;
}
