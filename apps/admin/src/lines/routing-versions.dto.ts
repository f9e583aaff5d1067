import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, Max, Min } from 'class-validator';

export const ROUTING_VERSIONS_DEFAULT = 50;
export const ROUTING_VERSIONS_MAX = 500;

/** `GET /v1/lines/{line}/routing/versions?limit`: query values arrive as strings. */
export class ListRoutingVersionsDto {
  @ApiPropertyOptional({ minimum: 1, maximum: ROUTING_VERSIONS_MAX, default: ROUTING_VERSIONS_DEFAULT })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value,
  )
  @Max(ROUTING_VERSIONS_MAX)
  @Min(1)
  @IsInt()
  limit?: number;
}

/** `POST /v1/lines/{line}/routing/rollback`. */
export class RollbackRoutingDto {
  @ApiProperty({ example: 3, description: 'the version whose rules become live again (as a new version)' })
  @IsDefined()
  @Min(0)
  @IsInt()
  version: number;
}
