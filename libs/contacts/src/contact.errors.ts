import { DomainError, PreconditionFailed } from '@tether/errors';

export class OfferNoLongerValid extends DomainError {
  constructor(detail: string) {
    super('offer_no_longer_valid', 'conflict', detail);
  }
}

export class ContactNotAssignedToAgent extends DomainError {
  constructor(contactId: string) {
    super('contact_not_yours', 'forbidden', `contact ${contactId} is not assigned to you`);
  }
}

export class ContactAlreadyCompleted extends DomainError {
  constructor(contactId: string) {
    super('contact_already_completed', 'conflict', `contact ${contactId} is already completed`);
  }
}

/** A routing write made against a version of the line's rules that is no longer the live one (If-Match). */
export class RoutingVersionStale extends PreconditionFailed {
  constructor(line: string, expected: readonly number[], current: number) {
    super(
      'routing_version_stale',
      `line ${line}'s routing rules are at version ${current}, not ${expected.join(' or ')}: GET them again and reapply the change`,
    );
  }
}

export class RoutingVersionNotFound extends DomainError {
  constructor(line: string, version: number) {
    super('routing_version_not_found', 'not_found', `line ${line} has no routing version ${version}`);
  }
}

export class RoutingDraftNotFound extends DomainError {
  constructor(line: string) {
    super('routing_draft_not_found', 'not_found', `line ${line} has no draft routing rules`);
  }
}
