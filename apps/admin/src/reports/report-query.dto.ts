import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { LINE_NAME_PATTERN } from '@tether/lines';
import { MAX_REPORT_PAGE_SIZE, REPORT_BUCKETS, ReportBucket } from '@tether/reports';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;

export class ReportQueryDto {
  @ApiProperty({
    format: 'date-time',
    description: 'start of the range (contacts that arrived from then on)',
  })
  @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 date-time' })
  from!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'end of the range, exclusive; at most 93 days after from',
  })
  @IsISO8601({ strict: true }, { message: 'to must be an ISO-8601 date-time' })
  to!: string;

  @ApiPropertyOptional({
    enum: REPORT_BUCKETS,
    default: 'day',
    description: 'UTC buckets; a week starts Monday',
  })
  @IsOptional()
  @IsIn(REPORT_BUCKETS, { message: `bucket must be one of: ${REPORT_BUCKETS.join(', ')}` })
  bucket?: ReportBucket;

  @ApiPropertyOptional({ description: 'only this line (the line the contact arrived on)' })
  @IsOptional()
  @Matches(LINE_NAME_PATTERN, { message: 'line must be a line name' })
  line?: string;

  @ApiPropertyOptional({ enum: ['voice', 'chat', 'email', 'messenger'] })
  @IsOptional()
  @IsIn(['voice', 'chat', 'email', 'messenger'], {
    message: 'channel must be one of: voice, chat, email, messenger',
  })
  channel?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 90,
    default: 7,
    description: 'the repeat-contact window, days',
  })
  @IsOptional()
  @Transform(toInt)
  @Max(90, { message: 'repeatDays must be at most 90' })
  @Min(1, { message: 'repeatDays must be at least 1' })
  @IsInt({ message: 'repeatDays must be an integer' })
  repeatDays?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 3600,
    description:
      "the service-level target, seconds, for every line; else each line's `serviceLevel.seconds` rule, else 20",
  })
  @IsOptional()
  @Transform(toInt)
  @Max(3600, { message: 'serviceLevelSeconds must be at most 3600' })
  @Min(1, { message: 'serviceLevelSeconds must be at least 1' })
  @IsInt({ message: 'serviceLevelSeconds must be an integer' })
  serviceLevelSeconds?: number;

  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Transform(toInt)
  @Min(1, { message: 'page must be at least 1' })
  @IsInt({ message: 'page must be an integer' })
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_REPORT_PAGE_SIZE, default: 100 })
  @IsOptional()
  @Transform(toInt)
  @Max(MAX_REPORT_PAGE_SIZE, { message: `pageSize must be at most ${MAX_REPORT_PAGE_SIZE}` })
  @Min(1, { message: 'pageSize must be at least 1' })
  @IsInt({ message: 'pageSize must be an integer' })
  pageSize?: number;
}

export class AgentReportQueryDto extends ReportQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'only this agent' })
  @IsOptional()
  @IsUUID('all', { message: 'agentId must be an agent id (uuid)' })
  agentId?: string;
}

export class IncidentReportQueryDto extends ReportQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'only this incident' })
  @IsOptional()
  @IsUUID('all', { message: 'incidentId must be an incident id (uuid)' })
  incidentId?: string;
}
