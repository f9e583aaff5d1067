import twilio from 'twilio';
import { dialAgentTwiml } from './twiml';
import { isValidTwilioSignature } from './twilio-signature';

describe('dialAgentTwiml', () => {
  const agentId = '6f1c2a58-9d1e-4b3a-8e55-0d7c1b2a3c4d';

  it('dials the agent id as a Twilio Client identity by default', () => {
    expect(dialAgentTwiml(agentId, null)).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Client>${agentId}</Client></Dial></Response>`,
    );
  });

  it('dials the identity or SIP address of the agent’s profile', () => {
    expect(dialAgentTwiml(agentId, 'client:alice')).toContain('<Dial><Client>alice</Client></Dial>');
    expect(dialAgentTwiml(agentId, 'sip:alice@pbx.example.com')).toContain(
      '<Dial><Sip>sip:alice@pbx.example.com</Sip></Dial>',
    );
  });

  it('escapes what it is given', () => {
    expect(dialAgentTwiml(agentId, 'sip:a&b@pbx.example.com')).toContain('sip:a&amp;b@pbx.example.com');
  });
});

describe('isValidTwilioSignature', () => {
  const token = '0123456789abcdef0123456789abcdef';
  const url = 'https://tether.example.com/v1/telephony/twilio/voice';
  const fields = { CallSid: 'CA1', From: '+15551230001' };

  it('accepts exactly what Twilio signs: the URL and the sorted fields', () => {
    const signature = twilio.getExpectedTwilioSignature(token, url, fields);
    expect(isValidTwilioSignature(token, signature, url, fields)).toBe(true);
    expect(isValidTwilioSignature(token, signature, `${url}?x=1`, fields)).toBe(false);
    expect(isValidTwilioSignature(token, signature, url, { ...fields, From: '+15551230002' })).toBe(false);
    expect(isValidTwilioSignature('f'.repeat(32), signature, url, fields)).toBe(false);
    expect(isValidTwilioSignature(token, undefined, url, fields)).toBe(false);
  });
});
