import { DomainError, ValidationFailed } from '@tether/errors';
import { LINE_NAME_PATTERN } from './line.types';

/** A name as it may appear in a message: a plausible line name as is, anything else quoted and cut short. */
function shown(name: string): string {
  return LINE_NAME_PATTERN.test(name) ? name : JSON.stringify(name.slice(0, 64));
}

/** No row of `lines` has this name: a line app refuses to start for it, the admin API answers 404. */
export class LineNotDefined extends DomainError {
  constructor(
    readonly line: string,
    defined: readonly string[],
  ) {
    super(
      'line_not_found',
      'not_found',
      `line ${shown(line)} is not defined: add it to the lines table (INSERT INTO lines (name, title) VALUES ` +
        `('${LINE_NAME_PATTERN.test(line) ? line : '<name>'}', '<Title>')); defined lines: ${defined.join(', ') || 'none'}`,
    );
  }
}

/** An agent's `lines` name a line that has no row in `lines` (400, naming the field). */
export class UnknownLines extends ValidationFailed {
  constructor(
    field: string,
    readonly unknown: readonly string[],
    defined: readonly string[],
  ) {
    super(
      `${field} must contain only defined lines (${defined.join(', ') || 'none'}); not defined: ${unknown.map(shown).join(', ')}`,
    );
  }
}
