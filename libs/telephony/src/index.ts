export * from './webhook-signature';
export * from './telephony-callback.service';
export * from './telephony.module';
