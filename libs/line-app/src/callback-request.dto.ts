import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsISO8601, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

export class CallbackWindowDto {
  @ApiPropertyOptional({
    example: '2026-12-01T09:00:00Z',
    description: 'not called back before this (the contact leaves the live queue until then)',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'window.start must be an ISO-8601 date-time' })
  start?: string;

  @ApiPropertyOptional({
    example: '2026-12-01T11:00:00Z',
    description: 'called back by this (its due time; after it the callback is missed and escalated)',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'window.end must be an ISO-8601 date-time' })
  end?: string;
}

/**
 * POST /v1/telephony/calls/{callId}/callback: the caller confirmed a callback in the IVR. `{}` keeps their place in
 * the queue (due within the line's `callback.dueSeconds`); a window asks for a time.
 */
export class CallbackRequestDto {
  @ApiPropertyOptional({ type: CallbackWindowDto })
  @IsOptional()
  @Type(() => CallbackWindowDto)
  @ValidateNested()
  @IsObject()
  window?: CallbackWindowDto;

  @ApiPropertyOptional({
    example: '+15551230001',
    description: 'the number to call back (E.164), when not the number the caller called from',
  })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  number?: string;
}
