import type { CallbackState, CallbackView } from './contact.types';

/** An ISO-8601 UTC string from what PostgreSQL wrote (a timestamptz in JSON carries its offset), or null. */
function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return new Date(value as string).toISOString();
}

/** The callback summary `tether_call_row` (and the callback listings) return, as the API shows it. */
export function callbackView(raw: Record<string, unknown>): CallbackView {
  return {
    id: raw.id as string,
    state: raw.state as CallbackState,
    requestedBy: raw.requestedBy as 'caller' | 'agent',
    windowStart: iso(raw.windowStart),
    dueAt: iso(raw.dueAt)!,
    callerLeftAt: iso(raw.callerLeftAt),
    attempts: Number(raw.attempts),
    maxAttempts: Number(raw.maxAttempts),
    lastResult: (raw.lastResult as string | null) ?? null,
    missedAt: iso(raw.missedAt),
    ownerAgentId: (raw.ownerAgentId as string | null) ?? null,
  };
}
