import { IsDefined, IsIn, IsInt, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { LINE_NAME_PATTERN } from '@tether/lines';
import type {
  CaseReassignPayload,
  ContactAssignPayload,
  LivePagePayload,
  SupervisorAgentStatusPayload,
} from '@tether/realtime';
import { PRESENCE_STATES, PresenceState } from '@tether/routing';

/** The DTOs validate what SupervisorClientEvents (@tether/realtime) declares; each names the field at fault. */
export class LivePageDto implements LivePagePayload {
  @IsDefined()
  @IsString()
  @Matches(LINE_NAME_PATTERN, { message: 'line must be a line name' })
  line: string;

  @IsDefined()
  @IsInt({ message: 'page must be an integer (0-based)' })
  @Min(0, { message: 'page must be 0 or more' })
  @Max(10_000, { message: 'page must be at most 10000' })
  page: number;
}

export class ContactAssignDto implements ContactAssignPayload {
  @IsDefined()
  @IsUUID('all', { message: 'contactId must be a contact id (uuid)' })
  @IsString()
  contactId: string;

  @IsDefined()
  @IsUUID('all', { message: 'agentId must be an agent id (uuid)' })
  @IsString()
  agentId: string;
}

export class SupervisorAgentStatusDto implements SupervisorAgentStatusPayload {
  @IsDefined()
  @IsUUID('all', { message: 'agentId must be an agent id (uuid)' })
  @IsString()
  agentId: string;

  @IsDefined()
  @IsIn(PRESENCE_STATES, { message: `status must be one of: ${PRESENCE_STATES.join(', ')}` })
  status: PresenceState;
}

export class CaseReassignDto implements CaseReassignPayload {
  @IsDefined()
  @IsUUID('all', { message: 'caseId must be a case id (uuid)' })
  @IsString()
  caseId: string;

  @IsDefined()
  @IsUUID('all', { message: 'ownerId must be an agent id (uuid)' })
  @IsString()
  ownerId: string;
}
