import { Injectable } from '@nestjs/common';
import { CallView, ContactLifecycleService } from '@tether/contacts';
import type { Line } from '@tether/routing';
import { VoiceResponse } from '@tether/telephony';

/** The adapter's paths, relative to the line app (Twilio resolves them against the URL it called). */
export const TWILIO_PATHS = {
  caseAnswer: '/v1/telephony/twilio/voice/case',
  wait: '/v1/telephony/twilio/wait',
  callbackAnswer: '/v1/telephony/twilio/callback',
} as const;

/**
 * What a caller hears, as TwiML (Twilio's `VoiceResponse`): no menu tree. A known caller is greeted by name; an
 * incident that affects them is announced; a caller with an open case is asked one question ("Are you calling about
 * …? Press 1"); then the call waits in the line's queue, hearing its position and the estimated wait, and is offered
 * a callback by digit when the wait is longer than the line's threshold.
 */
@Injectable()
export class TwilioVoiceMenu {
  constructor(private readonly contacts: ContactLifecycleService) {}

  async arrival(line: Line, view: CallView): Promise<string> {
    const response = new VoiceResponse();
    if (view.status === 'ended') {
      response.hangup();
      return response.toString();
    }
    const card = await this.contacts.callerCard(view.contactId);
    if (card.known && card.name) response.say(`Hello ${card.name}.`);
    if (view.announcement) response.say(view.announcement);
    if (view.status === 'connected') return response.toString();
    if (card.caseSubject) {
      const gather = response.gather({
        numDigits: 1,
        timeout: 5,
        action: TWILIO_PATHS.caseAnswer,
        method: 'POST',
      });
      gather.say(`Are you calling about ${card.caseSubject}? Press 1.`);
      // no answer within the timeout: the call stays linked to its case and waits
    }
    this.enqueueInto(response, line);
    return response.toString();
  }

  enqueue(line: Line, text: string): string {
    const response = new VoiceResponse();
    response.say(text);
    this.enqueueInto(response, line);
    return response.toString();
  }

  waiting(view: CallView): string {
    const response = new VoiceResponse();
    if (view.status === 'queued' && view.queuePosition !== null) {
      const minutes = Math.max(1, Math.round((view.estimatedWaitSeconds ?? 60) / 60));
      response.say(
        `You are number ${view.queuePosition} in the queue. The expected wait is about ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      );
      if (view.callbackOffered) {
        const gather = response.gather({
          numDigits: 1,
          timeout: 5,
          action: TWILIO_PATHS.callbackAnswer,
          method: 'POST',
        });
        gather.say('Press 1 to be called back instead of waiting. You keep your place in the queue.');
      }
    }
    response.pause({ length: 10 });
    return response.toString();
  }

  callbackConfirmed(): string {
    const response = new VoiceResponse();
    response.say('Thank you. We will call you back as soon as it is your turn. Goodbye.');
    response.hangup();
    return response.toString();
  }

  say(text: string): string {
    const response = new VoiceResponse();
    response.say(text);
    return response.toString();
  }

  private enqueueInto(response: InstanceType<typeof VoiceResponse>, line: Line): void {
    response.enqueue({ waitUrl: TWILIO_PATHS.wait, waitUrlMethod: 'POST' }, line);
  }
}
