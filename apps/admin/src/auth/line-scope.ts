import { Principal, canSeeLine } from '@tether/auth';
import { ValidationFailed } from '@tether/errors';
import { Forbidden } from '@tether/users';

/** 403 unless the principal may see and act on the line. `what` names the object refused (never its contents). */
export function assertLine(principal: Principal, line: string, what: string): void {
  if (!canSeeLine(principal, line)) throw new Forbidden(`${what} is on line ${line}, outside your lines`);
}

/** 403 unless the principal may see at least one of the lines (an object on several lines: an agent, an incident). */
export function assertAnyLine(principal: Principal, lines: readonly string[], what: string): void {
  if (principal.lines === 'all') return;
  if (!lines.some((line) => canSeeLine(principal, line)))
    throw new Forbidden(`${what} is outside your lines`);
}

/**
 * A list's `line` filter under the principal's scope: an admin's as asked; a supervisor's must be one of their
 * lines (403 otherwise), and when not given it is their only line, or a 400 naming `line` when they have several
 * (a list is one line's, so its pages stay whole).
 */
export function scopedLine(principal: Principal, line: string | undefined): string | undefined {
  if (principal.lines === 'all') return line;
  if (line !== undefined) {
    assertLine(principal, line, 'the list');
    return line;
  }
  if (principal.lines.length === 1) return principal.lines[0];
  throw new ValidationFailed(`line is required: you supervise several lines (${principal.lines.join(', ')})`);
}
