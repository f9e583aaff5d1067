import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import type { Role } from '@tether/auth';
import { LINE_NAME_PATTERN } from '@tether/lines';
import { USER_ROLES, USER_TOKEN_TTL_MAX_SECONDS } from '@tether/users';

export const USERS_PAGE_DEFAULT = 100;
export const USERS_PAGE_MAX = 500;

export class CreateUserDto {
  @ApiProperty({ example: 'Sam Supervisor', description: 'unique (case-insensitive)' })
  @IsDefined()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  name: string;

  @ApiProperty({ enum: USER_ROLES })
  @IsDefined()
  @IsIn(USER_ROLES, { message: `role must be one of: ${USER_ROLES.join(', ')}` })
  role: Role;

  @ApiPropertyOptional({
    type: [String],
    example: ['sales'],
    description: "a supervisor's lines (defined lines, at least one); not for the other roles",
  })
  @IsOptional()
  @Matches(LINE_NAME_PATTERN, { each: true, message: 'lines must contain only line names (a-z, 0-9, _)' })
  @IsString({ each: true })
  @ArrayMaxSize(100)
  @IsArray()
  lines?: string[];

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'the agent an `agent` user works as; only for that role',
  })
  @IsOptional()
  @IsUUID('all', { message: 'agentId must be an agent id (uuid)' })
  agentId?: string;
}

/** Any of the fields; the user that results must be valid for its role as a whole. */
export class UpdateUserDto extends PartialType(CreateUserDto) {}

export class ListUsersDto {
  @ApiPropertyOptional({ minimum: 1, maximum: USERS_PAGE_MAX, default: USERS_PAGE_DEFAULT })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value,
  )
  @Max(USERS_PAGE_MAX)
  @Min(1)
  @IsInt()
  limit?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'the cursor in the previous page’s `Link` header' })
  @IsOptional()
  @IsUUID()
  cursor?: string;
}

/** `POST /v1/users/{id}/tokens?ttlSeconds`: no body, as for an agent's token. */
export class IssueUserTokenDto {
  @ApiPropertyOptional({
    minimum: 60,
    maximum: USER_TOKEN_TTL_MAX_SECONDS,
    default: 90 * 24 * 3600,
    description: 'how long the token works, seconds',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value,
  )
  @Max(USER_TOKEN_TTL_MAX_SECONDS)
  @Min(60)
  @IsInt({ message: 'ttlSeconds must be an integer' })
  ttlSeconds?: number;
}
