import { Body, Controller, Inject, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { Survey, SurveyService } from '@tether/reports';
import type { Line } from '@tether/routing';
import { LINE } from './line.token';
import { RecordSurveyDto } from './record-survey.dto';
import { WebhookSignatureGuard } from './webhook-signature.guard';

/** Post-contact survey results posted back by the IVR or SMS side: signed like the telephony webhooks. */
@ApiTags('surveys')
@ApiHeader({
  name: 'X-Tether-Signature',
  required: true,
  description: 'signed exactly like the telephony webhooks (v2: "<t>.<METHOD>.<path>.<raw body>")',
})
@ApiUnauthorizedResponse({ description: 'missing or bad signature (checked before the body)' })
@UseGuards(WebhookSignatureGuard, ThrottlerGuard)
@Controller('v1/surveys')
export class SurveysController {
  constructor(
    private readonly surveys: SurveyService,
    @Inject(LINE) private readonly line: Line,
  ) {}

  @Post()
  @ApiOperation({
    summary: "A survey result for one of this line's contacts (CSAT), joined to its agent and case",
    description:
      'One result per contact. The same score and scale again (a retry) answers 200 with the survey recorded ' +
      'first; another score for a contact that has one is 409.',
  })
  @ApiCreatedResponse({ description: 'recorded' })
  @ApiOkResponse({ description: 'the same result was recorded before: that survey' })
  @ApiBadRequestResponse({
    description:
      'an invalid body (the message names the field): a score outside 1..scale, not exactly one of callId and contactId, an unknown field',
  })
  @ApiNotFoundResponse({ description: 'no such call or contact on this line' })
  @ApiConflictResponse({ description: 'the contact already has a survey result with another score or scale' })
  async record(
    @Body() body: RecordSurveyDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Survey> {
    const survey = await this.surveys.record(this.line, body);
    void reply.status(survey.created ? 201 : 200);
    return survey;
  }
}
