import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Res,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import {
  CallView,
  ContactCallbackService,
  ContactLifecycleService,
  HangupRemembered,
} from '@tether/contacts';
import { ValidationFailed } from '@tether/errors';
import type { Line } from '@tether/routing';
import { CallEventDto } from './call-event.dto';
import { CallbackRequestDto } from './callback-request.dto';
import { IntakeAdmissionInterceptor } from './intake-admission.interceptor';
import { LINE } from './line.token';
import { StartCallDto } from './start-call.dto';
import { WebhookSignatureGuard } from './webhook-signature.guard';

/**
 * The telephony/IVR webhook of one line. Thin: the signature guard, the DTO, one lifecycle call. Every look-up is
 * by this app's line: a call id names a call on this line only.
 */
@ApiTags('telephony')
@ApiHeader({
  name: 'X-Tether-Signature',
  required: true,
  description:
    't=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path>.<raw body>")>: METHOD upper case, path the ' +
    'request target as sent (path and query string), the raw body empty for a GET. The old body-only v1 form is refused.',
})
@ApiUnauthorizedResponse({
  description:
    'missing or bad signature, the old v1 form, or t more than 300 s from now (checked before the body)',
})
// the signature first: a forged request is refused (401) without spending the platform's rate limit
@UseGuards(WebhookSignatureGuard, ThrottlerGuard)
@Controller('v1/telephony/calls')
export class TelephonyCallsController {
  constructor(
    private readonly contacts: ContactLifecycleService,
    private readonly callbacks: ContactCallbackService,
    @Inject(LINE) private readonly line: Line,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'A call reached this line: identify, queue, route. 201 new, 200 repeat (same callId on this line).',
    description:
      'callId is the idempotency key on this line; the same callId on another line is another call. When the ' +
      'caller\'s hang-up arrived first (answered 202), the call is recorded with status "ended" and nothing is queued.',
  })
  @ApiCreatedResponse({ description: 'a new call: queued, or "ended" when its hang-up arrived first' })
  @ApiOkResponse({ description: 'a repeat of a call this line already has: the same contact' })
  @ApiServiceUnavailableResponse({
    description:
      'intake_at_capacity: the line already serves TETHER_INTAKE_MAX_IN_FLIGHT call webhooks; intake_overloaded: its ' +
      'webhooks wait past TETHER_INTAKE_TARGET_MS and more arrive than it answers in that time; nothing was recorded, ' +
      'retry after the Retry-After header (seconds)',
  })
  @UseInterceptors(IntakeAdmissionInterceptor)
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
  @ApiOperation({
    summary: 'Call events: hangup (abandon / revoke / end), answered',
    description:
      'A hangup for a callId this line has not seen yet (it overtook its call webhook) is answered 202 and ' +
      'remembered for at least 10 minutes: the call webhook then answers with status "ended" and queues nothing.',
  })
  @ApiOkResponse({ description: "the event was applied to this line's call" })
  @ApiAcceptedResponse({
    description:
      'hangup for a callId not seen yet on this line: remembered ({ callId, line, status: "ended", contactId: null, rememberedUntil })',
  })
  @ApiNotFoundResponse({ description: 'answered for a callId this line has not seen' })
  async event(
    @Param('callId') callId: string,
    @Body() body: CallEventDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CallView | HangupRemembered> {
    switch (body.type) {
      case 'hangup': {
        const outcome = await this.contacts.hangup(this.line, callId);
        if (!outcome.remembered) return outcome.view;
        void reply.status(202);
        return outcome.answer;
      }
      case 'answered':
        return this.contacts.answered(this.line, callId);
      case 'no_answer':
      case 'busy':
      case 'failed':
        return this.callbacks.dialFailed(this.line, callId, body.type);
    }
  }

  @Post(':callId/callback')
  @ApiOperation({
    summary: 'The caller confirmed a callback: they keep their place and may hang up',
    description:
      "Body {} keeps their place in the queue (due within the line's callback.dueSeconds), or a window " +
      '{ "window": { "start", "end" } } asks for a time; "number" when not the number they called from. After this ' +
      "the caller's hang-up does not abandon the contact: it waits as a callback (GET shows `callback`), and the agent " +
      'who accepts it gets the customer dialled (a signed contact.dial callback). 201 confirmed, 200 already confirmed.',
  })
  @ApiCreatedResponse({ description: 'confirmed: the call with its `callback`' })
  @ApiOkResponse({ description: 'confirmed before: the same callback' })
  @ApiNotFoundResponse({ description: 'no call with this callId on this line' })
  @ApiConflictResponse({
    description:
      'not_waiting (connected or ended), offered_now (a later window while an agent is being offered it)',
  })
  async callback(
    @Param('callId') callId: string,
    @Body() body: CallbackRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CallView> {
    const { created, view } = await this.callbacks.confirm(this.line, callId, {
      windowStart: dateOf(body.window?.start, 'window.start'),
      windowEnd: dateOf(body.window?.end, 'window.end'),
      number: body.number,
    });
    void reply.status(created ? 201 : 200);
    return view;
  }

  @Get(':callId')
  @ApiOkResponse({ description: 'The contact with its current status and, once accepted, the agent' })
  @ApiNotFoundResponse({ description: 'no call with this callId on this line' })
  get(@Param('callId') callId: string): Promise<CallView> {
    return this.contacts.getCall(this.line, callId);
  }
}

function dateOf(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new ValidationFailed(`${field} must be an ISO-8601 date-time`);
  return date;
}
