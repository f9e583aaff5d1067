import { IsDefined, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { RESOLUTIONS, Resolution } from '@tether/contacts';
import { PRESENCE_STATES, PresenceState } from '@tether/routing';

export class AgentStatusDto {
  @IsDefined()
  @IsIn(PRESENCE_STATES, { message: `state must be one of: ${PRESENCE_STATES.join(', ')}` })
  state: PresenceState;
}

export class OfferAcceptDto {
  @IsDefined()
  @IsUUID('all', { message: 'offerId must be an offer id (uuid)' })
  @IsString()
  offerId: string;
}

export class OfferRejectDto {
  @IsDefined()
  @IsUUID('all', { message: 'offerId must be an offer id (uuid)' })
  @IsString()
  offerId: string;

  @IsOptional()
  @MaxLength(200)
  @IsString()
  reason?: string;
}

export class ContactCompleteDto {
  @IsDefined()
  @IsUUID('all', { message: 'contactId must be a contact id (uuid)' })
  @IsString()
  contactId: string;

  @IsDefined()
  @IsIn(RESOLUTIONS, { message: `resolution must be one of: ${RESOLUTIONS.join(', ')}` })
  resolution: Resolution;

  @IsOptional()
  @MaxLength(10_000)
  @IsString()
  notes?: string;
}
