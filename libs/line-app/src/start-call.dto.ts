import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

export class IvrDto {
  @ApiPropertyOptional({
    example: 'billing',
    description: 'what the caller chose in the IVR; mapped to skills by the line rules',
  })
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

  @ApiPropertyOptional({ example: 'ru' })
  @IsOptional()
  @MaxLength(16)
  @IsString()
  language?: string;
}

/** CONTRACT: POST /v1/telephony/calls */
export class StartCallDto {
  @ApiProperty({ example: 'CA123', description: "the provider's call id; the idempotency key" })
  @IsDefined()
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  callId: string;

  @ApiProperty({ example: '+15551230001', description: 'caller id; identifies the customer' })
  @IsDefined()
  @MaxLength(64)
  @IsNotEmpty()
  @IsString()
  from: string;

  @ApiProperty({ example: '+15550000001', description: 'the number dialled' })
  @IsDefined()
  @MaxLength(64)
  @IsNotEmpty()
  @IsString()
  to: string;

  @ApiPropertyOptional({ type: IvrDto })
  @IsOptional()
  @Type(() => IvrDto)
  @ValidateNested()
  @IsObject()
  ivr?: IvrDto;
}
