import twilio from 'twilio';

const { VoiceResponse } = twilio.twiml;

/** Where an agent takes their calls on Twilio: `client:<identity>` or `sip:<uri>`; null: their id as Client identity. */
export function dialAgentTwiml(agentId: string, endpoint: string | null): string {
  const response = new VoiceResponse();
  const dial = response.dial();
  if (endpoint?.startsWith('sip:')) dial.sip(endpoint);
  else dial.client(endpoint?.startsWith('client:') ? endpoint.slice('client:'.length) : agentId);
  return response.toString();
}

export { VoiceResponse };
