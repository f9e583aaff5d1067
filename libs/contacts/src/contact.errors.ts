import { DomainError } from '@tether/errors';

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
