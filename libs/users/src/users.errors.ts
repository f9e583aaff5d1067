import { DomainError } from '@tether/errors';

/** A principal acting outside its role or its lines (403). Names what was refused, never personal data. */
export class Forbidden extends DomainError {
  constructor(message: string) {
    super('forbidden', 'forbidden', message);
  }
}
