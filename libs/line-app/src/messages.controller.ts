import { Body, Controller, Inject, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { ContactMessagingService } from '@tether/contacts';
import type { Line } from '@tether/routing';
import { LINE } from './line.token';
import { IncomingMessageDto } from './message.dto';
import { WebhookSignatureGuard } from './webhook-signature.guard';

/** Messaging platforms (chat, e-mail, messenger, social) post their customers' messages here. Thin. */
@ApiTags('messages')
@ApiHeader({
  name: 'X-Tether-Signature',
  required: true,
  description: 'signed like the telephony webhook (v2)',
})
@ApiUnauthorizedResponse({ description: 'missing or bad signature' })
@UseGuards(WebhookSignatureGuard, ThrottlerGuard)
@Controller('v1/messages')
export class MessagesController {
  constructor(
    private readonly messaging: ContactMessagingService,
    @Inject(LINE) private readonly line: Line,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      "A customer's message: the conversation's first opens a contact (routed like a call), later ones join it and reach its agent",
  })
  @ApiCreatedResponse({ description: 'the message opened a contact' })
  @ApiOkResponse({
    description: 'the message joined the live contact, or was received before (same messageId)',
  })
  async receive(
    @Body() body: IncomingMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ contactId: string; status: string; customer: { id: string; known: boolean } }> {
    const { created, ...answer } = await this.messaging.receive(this.line, body);
    void reply.status(created ? 201 : 200);
    return answer;
  }
}
