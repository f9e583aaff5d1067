import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import type { Principal } from '@tether/auth';
import { CALLBACK_STATES, CallbackListing, CallbackState, ContactCallbackService } from '@tether/contacts';
import { LINE_NAME_PATTERN } from '@tether/lines';
import { assertLine, scopedLine } from '../auth/line-scope';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';

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

/** Callbacks for supervisors (their lines) and admins: who is owed a call, by whom, by when; the missed ones. */
@ApiTags('callbacks')
@Roles('admin', 'supervisor')
@ApiBearerAuth()
@Controller('v1/callbacks')
export class CallbacksController {
  constructor(private readonly callbacks: ContactCallbackService) {}

  @Get()
  @ApiOperation({ summary: 'Callbacks, latest due first, filtered by state, line, owner or missed' })
  @ApiOkResponse({ description: 'the callbacks (never the number to call)' })
  list(
    @Query() query: ListCallbacksDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CallbackListing[]> {
    const { ownerId, ...rest } = query;
    return this.callbacks.list({ ...rest, line: scopedLine(principal, rest.line), ownerAgentId: ownerId });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One callback' })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<CallbackListing> {
    const callback = await this.callbacks.get(id);
    assertLine(principal, callback.line, `callback ${id}`);
    return callback;
  }

  @Delete(':id')
  @ApiOperation({
    summary:
      'Cancel a callback still waiting: its contact ends (callback_cancelled), a pending offer of it is revoked; 409 once it is being dialled or made',
  })
  async cancel(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<CallbackListing> {
    if (principal.lines !== 'all')
      assertLine(principal, (await this.callbacks.get(id)).line, `callback ${id}`);
    return this.callbacks.cancel(id);
  }
}
