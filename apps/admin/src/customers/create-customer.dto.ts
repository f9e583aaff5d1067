import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsEmail,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';

export class CreateCustomerDto {
  @ApiProperty({ example: 'Ivan Sidorov' })
  @IsDefined()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  name: string;

  @ApiProperty({ example: ['+15551230001'], description: 'international format; normalised to E.164' })
  @IsDefined()
  @MaxLength(64, { each: true })
  @IsString({ each: true })
  @ArrayMaxSize(20)
  @ArrayNotEmpty()
  @IsArray()
  phones: string[];

  @ApiPropertyOptional({ example: ['ivan@example.com'] })
  @IsOptional()
  @IsEmail({}, { each: true, message: 'emails must contain only valid e-mail addresses' })
  @ArrayMaxSize(20)
  @IsArray()
  emails?: string[];

  @ApiPropertyOptional({ example: 'CRM-000123', description: 'id in your CRM / billing' })
  @IsOptional()
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  externalRef?: string;
}
