import { one, Sql } from '@tether/persistence';
import type { TelephonyCallbackEvent } from '../telephony-callback.service';
import { TwilioRestClient } from './twilio-rest.client';
import { dialAgentTwiml } from './twiml';

/** The outbox address of a callback for a call that came through Twilio (tether_accept_offer writes it). */
export const TWILIO_OUTBOX_URL = 'twilio:calls';

/** Where a call Tether places for a contact reports its status: the line app's Twilio status webhook. */
export function twilioStatusUrl(baseUrl: string, callId: string): string {
  return `${baseUrl}/v1/telephony/twilio/status?callId=${encodeURIComponent(callId)}`;
}

/**
 * Delivers an outbox callback to Twilio instead of POSTing the JSON: `contact.connected` and `contact.transferred`
 * update the live call with TwiML that dials the (new) agent's endpoint; `contact.dial` creates a call to the
 * customer that dials the agent once answered, reporting its status to the line app Twilio first called
 * (`contacts.provider_base_url`), from `TWILIO_CALLER_ID`, else (a callback) the number the customer called.
 */
export class TwilioCallDelivery {
  constructor(
    private readonly rest: TwilioRestClient,
    private readonly sql: Sql,
    private readonly callerId: string | undefined,
  ) {}

  async deliver(body: TelephonyCallbackEvent): Promise<void> {
    // a stage end action's event is never written for a Twilio call (tether_stage_end): nothing to bridge or dial
    if (
      body.event !== 'contact.connected' &&
      body.event !== 'contact.transferred' &&
      body.event !== 'contact.dial'
    )
      return;
    const agentId = body.event === 'contact.transferred' ? body.toAgentId : body.agentId;
    const agent = await one<{ voice_endpoint: string | null }>(
      this.sql,
      `SELECT voice_endpoint FROM agents WHERE id = $1`,
      [agentId],
    );
    const twiml = dialAgentTwiml(agentId, agent?.voice_endpoint ?? null);
    if (body.event !== 'contact.dial') {
      await this.rest.updateCall(body.callId, twiml);
      return;
    }
    const contact = await one<{
      to_address: string | null;
      provider_base_url: string | null;
      direction: string;
    }>(this.sql, `SELECT to_address, provider_base_url, direction FROM contacts WHERE id = $1`, [
      body.contactId,
    ]);
    // a customer called back sees the number they called, unless the account has its own caller id
    const from = this.callerId ?? (contact?.direction === 'inbound' ? contact.to_address : null);
    if (!from) throw new Error('no caller id for the call: set TWILIO_CALLER_ID');
    await this.rest.createCall({
      to: body.number,
      from,
      twiml,
      statusCallback: contact?.provider_base_url
        ? twilioStatusUrl(contact.provider_base_url, body.callId)
        : undefined,
    });
  }
}
