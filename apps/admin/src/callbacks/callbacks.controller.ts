import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { CALLBACK_STATES, CallbackListing, CallbackState, ContactCallbackService } from '@tether/contacts';
import { LINE_NAME_PATTERN } from '@tether/lines';

export class ListCallbacksDto {
  @ApiPropertyOptional({ enum: CALLBACK_STATES })
  @IsOptional()
  @IsIn(CALLBACK_STATES, { message: `state must be one of: ${CALLBACK_STATES.join(', ')}` })
  state?: CallbackState;

  @ApiPropertyOptional({ example: 'service' })
  @IsOptional()
  @Matches(LINE_NAME_PATTERN, { message: 'line must be a line name (a-z, 0-9, _)' })
  line?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'callbacks aimed at this agent' })
  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be an agent id (uuid)' })
  ownerId?: string;

  @ApiPropertyOptional({ description: 'true: only those that passed their due time unmade' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'missed must be true or false' })
  missed?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @Max(500)
  @Min(1)
  @IsInt({ message: 'limit must be an integer' })
  limit?: number;
}

/** Callbacks for supervisors and admins: who is owed a call, by whom, by when; the missed ones. */
@ApiTags('callbacks')
@ApiBearerAuth()
@Controller('v1/callbacks')
export class CallbacksController {
  constructor(private readonly callbacks: ContactCallbackService) {}

  @Get()
  @ApiOperation({ summary: 'Callbacks, latest due first, filtered by state, line, owner or missed' })
  @ApiOkResponse({ description: 'the callbacks (never the number to call)' })
  list(@Query() query: ListCallbacksDto): Promise<CallbackListing[]> {
    const { ownerId, ...rest } = query;
    return this.callbacks.list({ ...rest, ownerAgentId: ownerId });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One callback' })
  get(@Param('id') id: string): Promise<CallbackListing> {
    return this.callbacks.get(id);
  }

  @Delete(':id')
  @ApiOperation({
    summary:
      'Cancel a callback still waiting: its contact ends (callback_cancelled), a pending offer of it is revoked; 409 once it is being dialled or made',
  })
  cancel(@Param('id') id: string): Promise<CallbackListing> {
    return this.callbacks.cancel(id);
  }
}
