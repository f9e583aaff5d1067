import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsIn,
  IsArray,
  IsDefined,
  Matches,
  IsEmail,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  registerDecorator,
} from 'class-validator';
import { IDENTITY_KINDS, IdentityKind, NOTICE_CHANNELS, NoticeChannel } from '@tether/customers';

const HANDLE = /^[A-Za-z0-9_-]{1,32}:\S{1,200}$/;
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** attribute name -> value, both plain strings. */
function IsStringMap(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: 'attributes must map names (letters, digits, _ . -) to strings of 1-200 characters',
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= 50 &&
          Object.entries(value as Record<string, unknown>).every(
            ([k, v]) => ATTRIBUTE_NAME.test(k) && typeof v === 'string' && v.length >= 1 && v.length <= 200,
          ),
      },
    });
}

export class CreateCustomerDto {
  @ApiProperty({ example: 'Ivan Sidorov' })
  @IsDefined()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  name: string;

  @ApiPropertyOptional({
    example: ['+15551230001'],
    description:
      'international format; normalised to E.164. At least one identity (phones, emails, handles) is required',
  })
  @IsOptional()
  @MaxLength(64, { each: true })
  @IsString({ each: true })
  @ArrayMaxSize(20)
  @IsArray()
  phones?: string[];

  @ApiPropertyOptional({ example: ['ivan@example.com'] })
  @IsOptional()
  @IsEmail({}, { each: true, message: 'emails must contain only valid e-mail addresses' })
  @ArrayMaxSize(20)
  @IsArray()
  emails?: string[];

  @ApiPropertyOptional({
    example: ['telegram:ivan_s'],
    description: 'messenger and social handles, `<network>:<name>` (as POST /v1/messages names the sender)',
  })
  @IsOptional()
  @Matches(HANDLE, { each: true, message: 'handles must be <network>:<name>, e.g. telegram:ivan_s' })
  @IsString({ each: true })
  @ArrayMaxSize(20)
  @IsArray()
  handles?: string[];

  @ApiPropertyOptional({ example: 'CRM-000123', description: 'id in your CRM / billing' })
  @IsOptional()
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  externalRef?: string;

  @ApiPropertyOptional({
    example: { area: 'north', node: 'N7' },
    description:
      'attributes incidents can be scoped by (at most 50; names like identifiers, values ≤ 200 chars)',
  })
  @IsOptional()
  @IsStringMap()
  attributes?: Record<string, string>;

  @ApiPropertyOptional({
    enum: NOTICE_CHANNELS,
    nullable: true,
    description:
      'how they prefer incident notices; default (null): a text message when they have a phone number, else e-mail',
  })
  @IsOptional()
  @IsIn(NOTICE_CHANNELS, { message: `noticeChannel must be one of: ${NOTICE_CHANNELS.join(', ')}` })
  noticeChannel?: NoticeChannel | null;
}

/** POST /v1/customers/{id}/identities: one identity to attach. */
export class CustomerIdentityDto {
  @ApiProperty({ enum: IDENTITY_KINDS, example: 'email' })
  @IsDefined()
  @IsIn(IDENTITY_KINDS, { message: `kind must be one of: ${IDENTITY_KINDS.join(', ')}` })
  kind: IdentityKind;

  @ApiProperty({
    example: 'ivan@example.com',
    description: 'a phone number (international format), an e-mail address, or a handle `<network>:<name>`',
  })
  @IsDefined()
  @MaxLength(254)
  @IsNotEmpty()
  @IsString()
  value: string;
}

/** POST /v1/customers/{id}/merge: the customer merged into this one. */
export class MergeCustomerDto {
  @ApiProperty({
    description: 'the id of the customer merged into this one (it stays as a pointer to this one)',
  })
  @IsDefined()
  @IsUUID('all', { message: 'from must be a customer id' })
  from: string;
}
