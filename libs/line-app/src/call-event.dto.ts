import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsIn } from 'class-validator';

/**
 * `hangup` and `answered` for every call; `no_answer`, `busy` and `failed` report a dial Tether asked for
 * (`contact.dial`) that did not reach the customer.
 */
export const CALL_EVENT_TYPES = ['hangup', 'answered', 'no_answer', 'busy', 'failed'] as const;

/** CONTRACT: POST /v1/telephony/calls/{callId}/events */
export class CallEventDto {
  @ApiProperty({ enum: CALL_EVENT_TYPES })
  @IsDefined()
  @IsIn(CALL_EVENT_TYPES, { message: `type must be one of: ${CALL_EVENT_TYPES.join(', ')}` })
  type: (typeof CALL_EVENT_TYPES)[number];
}
