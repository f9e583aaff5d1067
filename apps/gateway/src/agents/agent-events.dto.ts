import { IsDefined, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { RESOLUTIONS, Resolution } from '@tether/contacts';
import { PRESENCE_STATES, PresenceState } from '@tether/routing';

export class AgentStatusDto {
  @IsDefined() @IsIn(PRESENCE_STATES, { message: `state must be one of: ${PRESENCE_STATES.join(', ')}` })
  state: PresenceState;
}

export class OfferAcceptDto {
  @IsDefined() @IsString() @IsUUID('all', { message: 'offerId must be an offer id (uuid)' })
  offerId: string;
}

export class OfferRejectDto {
  @IsDefined() @IsString() @IsUUID('all', { message: 'offerId must be an offer id (uuid)' })
  offerId: string;

  @IsOptional() @IsString() @MaxLength(200)
  reason?: string;
}

export class ContactCompleteDto {
  @IsDefined() @IsString() @IsUUID('all', { message: 'contactId must be a contact id (uuid)' })
  contactId: string;

  @IsDefined() @IsIn(RESOLUTIONS, { message: `resolution must be one of: ${RESOLUTIONS.join(', ')}` })
  resolution: Resolution;

  @IsOptional() @IsString() @MaxLength(10_000)
  notes?: string;
}
