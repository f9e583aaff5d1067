import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

/** Agents per page of `GET /v1/agents` unless `limit` says otherwise, and the most `limit` may ask for. */
export const AGENTS_PAGE_DEFAULT = 100;
export const AGENTS_PAGE_MAX = 500;

/** `GET /v1/agents?limit&cursor`: query values arrive as strings. */
export class ListAgentsDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: AGENTS_PAGE_MAX,
    default: AGENTS_PAGE_DEFAULT,
    description: 'agents per page',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value,
  )
  @Max(AGENTS_PAGE_MAX)
  @Min(1)
  @IsInt()
  limit?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'where the page starts: the cursor in the previous page’s `Link: <…>; rel="next"` header',
  })
  @IsOptional()
  @IsUUID()
  cursor?: string;
}
