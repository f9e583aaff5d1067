import {
  IsDefined,
  IsIn,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  isUUID,
  Matches,
  MaxLength,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { LINE_NAME_PATTERN } from '@tether/lines';
import { RESOLUTIONS, Resolution } from '@tether/contacts';
import type {
  AgentStatusPayload,
  CallbackSchedulePayload,
  CaseHandoverPayload,
  ContactDialPayload,
  MessageSendPayload,
  ContactTransferPayload,
  ContactCompletePayload,
  OfferAcceptPayload,
  OfferRejectPayload,
} from '@tether/realtime';
import { PRESENCE_STATES, PresenceState } from '@tether/routing';

// The DTOs validate what the typed event map (@tether/realtime) declares; each implements its payload, and the
// domain's resolutions are the wire's (a value added on one side only does not compile).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _resolutionsMatch: Same<Resolution, ContactCompletePayload['resolution']> = true;

export class AgentStatusDto implements AgentStatusPayload {
  @IsDefined()
  @IsIn(PRESENCE_STATES, { message: `state must be one of: ${PRESENCE_STATES.join(', ')}` })
  state: PresenceState;
}

export class OfferAcceptDto implements OfferAcceptPayload {
  @IsDefined()
  @IsUUID('all', { message: 'offerId must be an offer id (uuid)' })
  @IsString()
  offerId: string;
}

export class OfferRejectDto implements OfferRejectPayload {
  @IsDefined()
  @IsUUID('all', { message: 'offerId must be an offer id (uuid)' })
  @IsString()
  offerId: string;

  @IsOptional()
  @MaxLength(200)
  @IsString()
  reason?: string;
}

export class ContactCompleteDto implements ContactCompletePayload {
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

  @IsOptional()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  subject?: string;

  @IsOptional()
  @IsUUID('all', { message: 'caseId must be a case id (uuid)' })
  @IsString()
  caseId?: string;
}

/** `to` of `contact:transfer`: exactly one of `{agentId}`, `{line}`, `{caseOwner: true}`. */
@ValidatorConstraint({ name: 'transferTarget' })
class TransferTargetConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const keys = Object.keys(value);
    if (keys.length !== 1) return false;
    const target = value as Record<string, unknown>;
    if ('agentId' in target) return typeof target.agentId === 'string' && isUUID(target.agentId);
    if ('line' in target) return typeof target.line === 'string' && LINE_NAME_PATTERN.test(target.line);
    if ('caseOwner' in target) return target.caseOwner === true;
    return false;
  }

  defaultMessage(): string {
    return 'to must be one of {"agentId": "<agent id>"}, {"line": "<line name>"}, {"caseOwner": true}';
  }
}

export class ContactTransferDto implements ContactTransferPayload {
  @IsDefined()
  @IsUUID('all', { message: 'contactId must be a contact id (uuid)' })
  @IsString()
  contactId: string;

  @IsDefined()
  @Validate(TransferTargetConstraint)
  to: ContactTransferPayload['to'];

  @IsOptional()
  @MaxLength(2_000)
  @IsString()
  note?: string;

  @IsDefined()
  @IsIn(['warm', 'cold'], { message: 'mode must be one of: warm, cold' })
  mode: 'warm' | 'cold';
}

export class CaseHandoverDto implements CaseHandoverPayload {
  @IsDefined()
  @IsUUID('all', { message: 'caseId must be a case id (uuid)' })
  @IsString()
  caseId: string;

  @IsDefined()
  @IsUUID('all', { message: 'toAgentId must be an agent id (uuid)' })
  @IsString()
  toAgentId: string;
}

export class CallbackScheduleDto implements CallbackSchedulePayload {
  @IsOptional()
  @IsUUID('all', { message: 'contactId must be a contact id (uuid)' })
  @IsString()
  contactId?: string;

  @IsOptional()
  @IsUUID('all', { message: 'caseId must be a case id (uuid)' })
  @IsString()
  caseId?: string;

  @IsOptional()
  @IsUUID('all', { message: 'customerId must be a customer id (uuid)' })
  @IsString()
  customerId?: string;

  @IsOptional()
  @MaxLength(64)
  @IsString()
  number?: string;

  @IsOptional()
  @Matches(LINE_NAME_PATTERN, { message: 'line must be a line name (a-z, 0-9, _)' })
  @IsString()
  line?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'windowStart must be an ISO-8601 date-time' })
  windowStart?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'dueAt must be an ISO-8601 date-time' })
  dueAt?: string;

  @IsOptional()
  @MaxLength(2_000)
  @IsString()
  note?: string;
}

export class ContactDialDto implements ContactDialPayload {
  @IsOptional()
  @IsUUID('all', { message: 'customerId must be a customer id (uuid)' })
  @IsString()
  customerId?: string;

  @IsOptional()
  @MaxLength(64)
  @IsString()
  number?: string;

  @IsOptional()
  @IsUUID('all', { message: 'caseId must be a case id (uuid)' })
  @IsString()
  caseId?: string;

  @IsOptional()
  @Matches(LINE_NAME_PATTERN, { message: 'line must be a line name (a-z, 0-9, _)' })
  @IsString()
  line?: string;
}

export class MessageSendDto implements MessageSendPayload {
  @IsDefined()
  @IsUUID('all', { message: 'contactId must be a contact id (uuid)' })
  @IsString()
  contactId: string;

  @IsDefined()
  @MaxLength(20_000)
  @IsNotEmpty()
  @IsString()
  text: string;
}
