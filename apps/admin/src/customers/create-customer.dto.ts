import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsDefined, IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateCustomerDto {
  @ApiProperty({ example: 'Ivan Sidorov' })
  @IsDefined() @IsString() @IsNotEmpty() @MaxLength(200)
  name: string;

  @ApiProperty({ example: ['+15551230001'], description: 'international format; normalised to E.164' })
  @IsDefined() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(20) @IsString({ each: true }) @MaxLength(64, { each: true })
  phones: string[];

  @ApiPropertyOptional({ example: ['ivan@example.com'] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsEmail({}, { each: true, message: 'emails must contain only valid e-mail addresses' })
  emails?: string[];

  @ApiPropertyOptional({ example: 'CRM-000123', description: 'id in your CRM / billing' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(128)
  externalRef?: string;
}
