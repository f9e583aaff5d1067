import { Module } from '@nestjs/common';
import { TelephonyCallbackService } from './telephony-callback.service';

@Module({ providers: [TelephonyCallbackService], exports: [TelephonyCallbackService] })
export class TelephonyModule {}
