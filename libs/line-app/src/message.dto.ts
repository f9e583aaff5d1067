import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { MESSAGE_CHANNELS, type MessageChannel } from '@tether/contacts';

export class MessageSenderDto {
  @ApiPropertyOptional({ example: '+15551230001' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  phone?: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  @IsOptional()
  @IsEmail({}, { message: 'from.email must be an e-mail address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({
    example: 'telegram:ada_l',
    description: 'a messenger or social network handle, `<network>:<name>`',
  })
  @IsOptional()
  @Matches(/^[a-z0-9_-]{1,32}:[^\s]{1,200}$/, { message: 'from.handle must be <network>:<name>' })
  handle?: string;
}

export class MessageAttachmentDto {
  @ApiProperty({ example: 'https://files.example/abc.png' })
  @IsDefined()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false },
    { message: 'attachments[].url must be an http(s) URL' },
  )
  url: string;

  @ApiPropertyOptional()
  @IsOptional()
  @MaxLength(256)
  @IsString()
  name?: string;

  @ApiPropertyOptional({ example: 'image/png' })
  @IsOptional()
  @MaxLength(128)
  @IsString()
  contentType?: string;
}

/** POST /v1/messages: a message of a conversation on a messaging channel reached this line. */
export class IncomingMessageDto {
  @ApiProperty({ enum: MESSAGE_CHANNELS })
  @IsDefined()
  @IsIn(MESSAGE_CHANNELS, { message: `channel must be one of: ${MESSAGE_CHANNELS.join(', ')}` })
  channel: MessageChannel;

  @ApiProperty({ example: 'conv-42', description: "the platform's conversation (thread) id" })
  @IsDefined()
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  conversationId: string;

  @ApiProperty({
    example: 'msg-1001',
    description: "the platform's message id: the idempotency key on the line",
  })
  @IsDefined()
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  messageId: string;

  @ApiProperty({ type: MessageSenderDto, description: 'at least one of phone, email, handle' })
  @IsDefined()
  @Type(() => MessageSenderDto)
  @ValidateNested()
  @IsObject()
  from: MessageSenderDto;

  @ApiProperty({ example: 'My router keeps rebooting.', maxLength: 20_000 })
  @IsDefined()
  @MaxLength(20_000)
  @IsString()
  text: string;

  @ApiPropertyOptional({ type: [MessageAttachmentDto] })
  @IsOptional()
  @ArrayMaxSize(20)
  @Type(() => MessageAttachmentDto)
  @ValidateNested({ each: true })
  @IsArray()
  attachments?: MessageAttachmentDto[];
}
