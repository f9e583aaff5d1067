export * from './post-json';
export * from './webhook-signature';
export * from './telephony-callback.service';
export * from './telephony.module';
export * from './twilio/twilio-signature';
export * from './twilio/twiml';
export * from './twilio/twilio-call-delivery';
export * from './twilio/twilio-rest.client';
