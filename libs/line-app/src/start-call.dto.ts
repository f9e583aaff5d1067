import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

export class IvrDto {
  @ApiPropertyOptional({ example: 'billing', description: 'what the caller chose in the IVR; mapped to skills by the line rules' })
  @IsOptional() @IsString() @MaxLength(64)
  intent?: string;

  @ApiPropertyOptional({ example: '2' })
  @IsOptional() @IsString() @MaxLength(32) @Matches(/^[0-9*#]*$/, { message: 'ivr.digits may hold only 0-9, * and #' })
  digits?: string;

  @ApiPropertyOptional({ example: 'ru' })
  @IsOptional() @IsString() @MaxLength(16)
  language?: string;
}

/** CONTRACT: POST /v1/telephony/calls */
export class StartCallDto {
  @ApiProperty({ example: 'CA123', description: "the provider's call id; the idempotency key" })
  @IsDefined() @IsString() @IsNotEmpty() @MaxLength(128)
  callId: string;

  @ApiProperty({ example: '+15551230001', description: 'caller id; identifies the customer' })
  @IsDefined() @IsString() @IsNotEmpty() @MaxLength(64)
  from: string;

  @ApiProperty({ example: '+15550000001', description: 'the number dialled' })
  @IsDefined() @IsString() @IsNotEmpty() @MaxLength(64)
  to: string;

  @ApiPropertyOptional({ type: IvrDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => IvrDto)
  ivr?: IvrDto;
}
