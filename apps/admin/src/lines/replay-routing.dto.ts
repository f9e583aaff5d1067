import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDefined, IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';

/** POST /v1/lines/{line}/routing/replay: a past period, and the rules to replay it under beside the live ones. */
export class ReplayRoutingDto {
  @ApiProperty({
    example: '2026-11-30T00:00:00Z',
    description: 'the period replayed starts (contacts arriving from)',
  })
  @IsDefined()
  @IsISO8601({ strict: true })
  from: string;

  @ApiProperty({
    example: '2026-12-01T00:00:00Z',
    description: 'and ends (exclusive), at most 31 days after `from`',
  })
  @IsDefined()
  @IsISO8601({ strict: true })
  to: string;

  @ApiPropertyOptional({
    description: "replay the line's draft rules (exactly one of `draft: true` and `version`)",
  })
  @IsOptional()
  @IsBoolean()
  draft?: boolean;

  @ApiPropertyOptional({
    description: "replay this version of the line's rules (exactly one of `draft: true` and `version`)",
  })
  @IsOptional()
  @Min(0)
  @IsInt()
  version?: number;

  @ApiPropertyOptional({ default: 20, description: 'the service-level target, seconds: answered within it' })
  @IsOptional()
  @Max(3600)
  @Min(1)
  @IsInt()
  serviceLevelSeconds?: number;
}
