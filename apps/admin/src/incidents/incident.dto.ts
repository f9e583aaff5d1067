import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { INCIDENT_STATUSES, IncidentStatus } from '@tether/incidents';
import { LINE_NAME_PATTERN } from '@tether/lines';
import { IsAttributeMap } from './attribute-map.validator';

export class IncidentScopeDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { each: true, message: 'affected.customerIds must contain customer ids (uuid)' })
  @ArrayMaxSize(10_000)
  @IsArray()
  customerIds?: string[];

  @ApiPropertyOptional({
    type: [String],
    example: ['+1555'],
    description: 'E.164 prefixes: "+" and 1-15 digits',
  })
  @IsOptional()
  @Matches(/^\+\d{1,15}$/, {
    each: true,
    message: 'affected.phonePrefixes must be "+" followed by 1-15 digits',
  })
  @ArrayMaxSize(1_000)
  @IsArray()
  phonePrefixes?: string[];

  @ApiPropertyOptional({
    example: { area: ['north'], node: ['N7', 'N8'] },
    description: 'customer attribute -> values: a customer holding any listed value of a listed attribute',
  })
  @IsOptional()
  @IsAttributeMap()
  attributes?: Record<string, string[]>;

  @ApiPropertyOptional({ type: [String], example: ['service'], description: 'every caller of these lines' })
  @IsOptional()
  @Matches(LINE_NAME_PATTERN, { each: true, message: 'affected.lines must contain only line names' })
  @ArrayMaxSize(100)
  @IsArray()
  lines?: string[];
}

export class CreateIncidentDto {
  @ApiProperty({ example: 'Internet outage in the north district' })
  @IsDefined()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  title: string;

  @ApiProperty({
    example: 'We know about the internet outage in the north district and are working on it.',
    description: 'what an affected caller hears before queueing (the ETA is added)',
  })
  @IsDefined()
  @MaxLength(1000)
  @IsNotEmpty()
  @IsString()
  announcement: string;

  @ApiPropertyOptional({ enum: INCIDENT_STATUSES, default: 'open' })
  @IsOptional()
  @IsIn(INCIDENT_STATUSES, { message: `status must be one of: ${INCIDENT_STATUSES.join(', ')}` })
  status?: IncidentStatus;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'eta must be an ISO-8601 date-time' })
  eta?: string | null;

  @ApiProperty({ type: IncidentScopeDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => IncidentScopeDto)
  @IsObject()
  affected: IncidentScopeDto;
}

export class UpdateIncidentDto {
  @ApiPropertyOptional()
  @IsOptional()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  title?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @MaxLength(1000)
  @IsNotEmpty()
  @IsString()
  announcement?: string;

  @ApiPropertyOptional({ enum: INCIDENT_STATUSES })
  @IsOptional()
  @IsIn(INCIDENT_STATUSES, { message: `status must be one of: ${INCIDENT_STATUSES.join(', ')}` })
  status?: IncidentStatus;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'eta must be an ISO-8601 date-time' })
  eta?: string | null;

  @ApiPropertyOptional({ type: IncidentScopeDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => IncidentScopeDto)
  @IsObject()
  affected?: IncidentScopeDto;

  @ApiPropertyOptional({ description: 'a text sent to the affected customers with this change' })
  @IsOptional()
  @MaxLength(1000)
  @IsNotEmpty()
  @IsString()
  update?: string;
}

export class ListIncidentsDto {
  @ApiPropertyOptional({ enum: INCIDENT_STATUSES })
  @IsOptional()
  @IsIn(INCIDENT_STATUSES, { message: `status must be one of: ${INCIDENT_STATUSES.join(', ')}` })
  status?: IncidentStatus;

  @ApiPropertyOptional({ description: 'true: every incident not resolved' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;

  @ApiPropertyOptional({ description: 'incidents affecting every caller of this line' })
  @IsOptional()
  @Matches(LINE_NAME_PATTERN, { message: 'line must be a line name' })
  line?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value,
  )
  @Max(200)
  @Min(1)
  @IsInt({ message: 'limit must be an integer' })
  limit?: number;
}
