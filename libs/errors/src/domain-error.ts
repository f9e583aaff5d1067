/** How a domain failure is categorised; each app's exception filter maps the kind to its transport's answer. */
export type DomainErrorKind =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'unavailable'
  /** a conditional write whose condition (HTTP If-Match) no longer holds: 412 */
  | 'precondition_failed';

/**
 * The base of every error a lib throws on purpose. Libs never throw HttpException: the code names the failure
 * (`offer_no_longer_valid`), the kind says which HTTP status / socket ack it becomes.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly kind: DomainErrorKind,
    message: string,
    /** when to try again (an `unavailable` failure that passes): HTTP's Retry-After */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super(`${what.toLowerCase().replace(/\s+/g, '_')}_not_found`, 'not_found', `${what} ${id} not found`);
  }
}

export class ValidationFailed extends DomainError {
  constructor(message: string) {
    super('validation_failed', 'invalid', message);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super(code, 'conflict', message);
  }
}

/** A write made against a version that is no longer current (HTTP If-Match): nothing was written. */
export class PreconditionFailed extends DomainError {
  constructor(code: string, message: string) {
    super(code, 'precondition_failed', message);
  }
}
