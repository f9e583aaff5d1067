import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';

/** POST /v1/surveys: a post-contact survey result, by call id or contact id (exactly one). */
export class RecordSurveyDto {
  @ApiPropertyOptional({ example: 'CA123', description: "the call's id on this line (or give contactId)" })
  @IsOptional()
  @IsNotEmpty({ message: 'callId must not be empty' })
  @MaxLength(128)
  @IsString()
  callId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "the contact's id (any channel; or give callId)" })
  @IsOptional()
  @IsUUID('all', { message: 'contactId must be a contact id (uuid)' })
  contactId?: string;

  @ApiProperty({ example: 4, description: 'the score, 1 to scale' })
  @Min(1, { message: 'score must be at least 1' })
  @IsInt({ message: 'score must be an integer' })
  score!: number;

  @ApiProperty({ example: 5, description: 'the highest score of the survey, 2 to 100' })
  @Max(100, { message: 'scale must be at most 100' })
  @Min(2, { message: 'scale must be at least 2' })
  @IsInt({ message: 'scale must be an integer' })
  scale!: number;

  @ApiPropertyOptional({
    description: "the customer's words (personal data: cleared when the contact is erased)",
  })
  @IsOptional()
  @MaxLength(2000)
  @IsString()
  comment?: string;
}
