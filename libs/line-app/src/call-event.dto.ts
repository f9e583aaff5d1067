import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsIn } from 'class-validator';

export const CALL_EVENT_TYPES = ['hangup', 'answered'] as const;

/** CONTRACT: POST /v1/telephony/calls/{callId}/events */
export class CallEventDto {
  @ApiProperty({ enum: CALL_EVENT_TYPES })
  @IsDefined()
  @IsIn(CALL_EVENT_TYPES, { message: `type must be one of: ${CALL_EVENT_TYPES.join(', ')}` })
  type: (typeof CALL_EVENT_TYPES)[number];
}
