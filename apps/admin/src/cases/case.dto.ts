import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { CASE_STATUSES, CaseChanges, CaseStatus } from '@tether/cases';
import { LINE_NAME_PATTERN } from '@tether/lines';

export const CASES_PAGE_DEFAULT = 50;
export const CASES_PAGE_MAX = 200;
const TEAM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
const TEAM_MESSAGE = 'team must be 1-64 letters, digits, spaces, _ . or - (starting with a letter or digit)';

/** `GET /v1/cases?…`: filters and the page; query values arrive as strings. */
export class ListCasesDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'cases owned by this agent' })
  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be an agent id (uuid)' })
  ownerId?: string;

  @ApiPropertyOptional({ enum: CASE_STATUSES })
  @IsOptional()
  @IsIn(CASE_STATUSES, { message: `status must be one of: ${CASE_STATUSES.join(', ')}` })
  status?: CaseStatus;

  @ApiPropertyOptional({ example: 'service', description: 'the line the case was opened on' })
  @IsOptional()
  @Matches(LINE_NAME_PATTERN, { message: 'line must be a line name (a-z, 0-9, _)' })
  line?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'customerId must be a customer id (uuid)' })
  customerId?: string;

  @ApiPropertyOptional({ example: 'billing' })
  @IsOptional()
  @Matches(TEAM_PATTERN, { message: TEAM_MESSAGE })
  team?: string;

  @ApiPropertyOptional({ description: 'true: only open cases past their due time' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'overdue must be true or false' })
  overdue?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: CASES_PAGE_MAX, default: CASES_PAGE_DEFAULT })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value,
  )
  @Max(CASES_PAGE_MAX)
  @Min(1)
  @IsInt({ message: 'limit must be an integer' })
  limit?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'the cursor in the previous page’s `Link: <…>; rel="next"`',
  })
  @IsOptional()
  @IsUUID('all', { message: 'cursor must be a case id (uuid)' })
  cursor?: string;
}

/** `PATCH /v1/cases/{id}`: any subset. A new `ownerId` is a handover. */
export class UpdateCaseDto implements CaseChanges {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  subject?: string;

  @ApiPropertyOptional({ enum: CASE_STATUSES })
  @IsOptional()
  @IsIn(CASE_STATUSES, { message: `status must be one of: ${CASE_STATUSES.join(', ')}` })
  status?: CaseStatus;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    description: 'hand the case over to this agent (they are notified); null leaves it to its team',
  })
  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be an agent id (uuid)' })
  ownerId?: string | null;

  @ApiPropertyOptional({ nullable: true, example: 'billing' })
  @IsOptional()
  @Matches(TEAM_PATTERN, { message: TEAM_MESSAGE })
  @IsString()
  team?: string | null;

  @ApiPropertyOptional({
    format: 'date-time',
    nullable: true,
    description:
      'when the case is due; past it while open, it is flagged overdue (owner and supervisors told)',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'dueAt must be an ISO-8601 date-time' })
  dueAt?: string | null;
}
