import { Body, Controller, HttpCode, Inject, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { ContactCallbackService, ContactLifecycleService, DIAL_RESULTS, DialResult } from '@tether/contacts';
import { ValidationFailed } from '@tether/errors';
import type { Line } from '@tether/routing';
import { LINE } from '../line.token';
import { TwilioSignatureGuard, calledBase } from './twilio-signature.guard';
import { TwilioVoiceMenu } from './twilio-voice.menu';

type TwilioFields = Record<string, string>;

/** Twilio's call statuses that end a call, and what each means for a call Tether placed (a dial). */
const DIAL_STATUSES: Record<string, DialResult | 'completed'> = {
  completed: 'completed',
  busy: 'busy',
  'no-answer': 'no_answer',
  failed: 'failed',
  canceled: 'failed',
};

function required(fields: TwilioFields, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 128)
    throw new ValidationFailed(`${name} is required (Twilio's form field, 1-128 characters)`);
  return value;
}

/**
 * Twilio Programmable Voice, pointed straight at the line: the number's voice webhook (`/voice`), the queue's wait
 * URL (`/wait`), the answers to the one question and to the callback offer, and the call status callback
 * (`/status`). Form-encoded, signed with `X-Twilio-Signature` (TwilioSignatureGuard), answered with TwiML. The
 * calls take the same path as the JSON contract's (`ContactLifecycleService`): same idempotency on the call id
 * (Twilio's CallSid), identification, routing; the accept bridges the call through Twilio's REST API
 * (TelephonyCallbackService).
 */
@ApiTags('twilio')
@ApiHeader({ name: 'X-Twilio-Signature', required: true, description: "Twilio's request signature" })
@UseGuards(TwilioSignatureGuard, ThrottlerGuard)
@Controller('v1/telephony/twilio')
export class TwilioVoiceController {
  constructor(
    private readonly contacts: ContactLifecycleService,
    private readonly callbacks: ContactCallbackService,
    private readonly menu: TwilioVoiceMenu,
    @Inject(LINE) private readonly line: Line,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
  ) {}

  @Post('voice')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Twilio voice webhook (the number\'s "A call comes in"): identify, greet, ask about an open case, enqueue',
  })
  async voice(
    @Body() fields: TwilioFields,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const callId = required(fields, 'CallSid');
    const { view } = await this.contacts.receiveCall(this.line, {
      callId,
      from: required(fields, 'From'),
      to: fields.To || 'unknown',
    });
    await this.contacts.markProvider(view.contactId, 'twilio', calledBase(request, this.config.publicUrl));
    return this.twiml(reply, await this.menu.arrival(this.line, view));
  }

  @Post('voice/case')
  @HttpCode(200)
  @ApiOperation({ summary: 'The answer to "Are you calling about …? Press 1"' })
  async caseAnswer(
    @Body() fields: TwilioFields,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const callId = required(fields, 'CallSid');
    if (fields.Digits !== '1') await this.contacts.notAboutCase(this.line, callId);
    return this.twiml(
      reply,
      this.menu.enqueue(this.line, fields.Digits === '1' ? 'Thank you.' : 'Thank you. Please hold.'),
    );
  }

  @Post('wait')
  @HttpCode(200)
  @ApiOperation({
    summary: "The queue's wait URL: position, estimated wait, a callback by digit when the wait is long",
  })
  async wait(@Body() fields: TwilioFields, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const view = await this.contacts.getCall(this.line, required(fields, 'CallSid'));
    return this.twiml(reply, this.menu.waiting(view));
  }

  @Post('callback')
  @HttpCode(200)
  @ApiOperation({
    summary: 'The answer to the callback offer: 1 confirms a callback (the caller keeps their place)',
  })
  async callbackAnswer(
    @Body() fields: TwilioFields,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const callId = required(fields, 'CallSid');
    if (fields.Digits !== '1') return this.twiml(reply, this.menu.say('Please hold.'));
    await this.callbacks.confirm(this.line, callId, {});
    return this.twiml(reply, this.menu.callbackConfirmed());
  }

  @Post('status')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Twilio call status callback: completed, busy, no-answer, canceled, failed end the call (abandoned while queued, offer revoked, ended after connect); for a call Tether placed (?callId=), busy/no-answer/failed are failed dial attempts',
  })
  async status(@Body() fields: TwilioFields, @Query('callId') placedFor?: string): Promise<void> {
    const status = required(fields, 'CallStatus');
    if (placedFor !== undefined) {
      // a call Tether placed for the contact `placedFor` (a callback's dial)
      if (status === 'in-progress' || status === 'answered')
        await this.contacts.answered(this.line, placedFor);
      const result = DIAL_STATUSES[status];
      if (result === 'completed') await this.contacts.hangup(this.line, placedFor);
      else if (result && (DIAL_RESULTS as readonly string[]).includes(result))
        await this.callbacks.dialFailed(this.line, placedFor, result).catch(() => undefined);
      return;
    }
    if (DIAL_STATUSES[status] !== undefined)
      await this.contacts.hangup(this.line, required(fields, 'CallSid'));
  }

  private twiml(reply: FastifyReply, xml: string): string {
    void reply.header('content-type', 'text/xml; charset=utf-8');
    return xml;
  }
}
