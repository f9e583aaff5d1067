import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CHANNELS, type Channel } from '@tether/routing';

export class SimulatedIvrDto {
  @ApiPropertyOptional({ example: 'billing' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  intent?: string;

  @ApiPropertyOptional({ example: '2' })
  @IsOptional()
  @Matches(/^[0-9*#]*$/, { message: '$property may hold only 0-9, * and #' })
  @MaxLength(32)
  @IsString()
  digits?: string;

  @ApiPropertyOptional({ example: 'de' })
  @IsOptional()
  @MaxLength(16)
  @IsString()
  language?: string;
}

/** POST /v1/lines/{line}/routing/simulate: a hypothetical contact, as a call webhook would bring it. */
export class SimulateRoutingDto {
  @ApiProperty({ example: '+15551230001', description: 'caller id: identifies the customer as intake would' })
  @IsDefined()
  @MaxLength(64)
  @IsNotEmpty()
  @IsString()
  from: string;

  @ApiPropertyOptional({ enum: CHANNELS, default: 'voice' })
  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;

  @ApiPropertyOptional({ type: SimulatedIvrDto })
  @IsOptional()
  @Type(() => SimulatedIvrDto)
  @ValidateNested()
  @IsObject()
  ivr?: SimulatedIvrDto;

  @ApiPropertyOptional({
    example: '2026-03-02T10:00:00Z',
    description: 'when it arrives (default now; earlier: it has waited since, so a later stage may apply)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;

  @ApiPropertyOptional({ description: "decide by the line's draft rules (not with `version`)" })
  @IsOptional()
  @IsBoolean()
  draft?: boolean;

  @ApiPropertyOptional({ description: 'the rules version to decide by (default: the live rules)' })
  @IsOptional()
  @Min(0)
  @IsInt()
  version?: number;
}
