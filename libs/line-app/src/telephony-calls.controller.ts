import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { CallView, ContactLifecycleService } from '@tether/contacts';
import type { Line } from '@tether/routing';
import { CallEventDto } from './call-event.dto';
import { LINE } from './line.token';
import { StartCallDto } from './start-call.dto';
import { WebhookSignatureGuard } from './webhook-signature.guard';

/** The telephony/IVR webhook of one line. Thin: the signature guard, the DTO, one lifecycle call. */
@ApiTags('telephony')
@ApiHeader({
  name: 'X-Tether-Signature',
  required: true,
  description: 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>',
})
// the signature first: a forged request is refused (401) without spending the platform's rate limit
@UseGuards(WebhookSignatureGuard, ThrottlerGuard)
@Controller('v1/telephony/calls')
export class TelephonyCallsController {
  constructor(
    private readonly contacts: ContactLifecycleService,
    @Inject(LINE) private readonly line: Line,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'A call reached this line: identify, queue, route. 201 new, 200 repeat (same callId).',
  })
  async start(
    @Body() body: StartCallDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CallView> {
    const { created, view } = await this.contacts.receiveCall(this.line, body);
    void reply.status(created ? 201 : 200);
    return view;
  }

  @Post(':callId/events')
  @HttpCode(200)
  @ApiOperation({ summary: 'Call events: hangup (abandon / revoke / end), answered' })
  async event(@Param('callId') callId: string, @Body() body: CallEventDto): Promise<CallView> {
    switch (body.type) {
      case 'hangup':
        return this.contacts.hangup(callId);
      case 'answered':
        return this.contacts.answered(callId);
    }
  }

  @Get(':callId')
  @ApiOkResponse({ description: 'The contact with its current status and, once accepted, the agent' })
  get(@Param('callId') callId: string): Promise<CallView> {
    return this.contacts.getCall(callId);
  }
}
