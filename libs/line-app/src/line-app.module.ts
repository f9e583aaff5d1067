import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Line } from '@tether/routing';
import type { TetherCore } from '@tether/runtime';
import { AppBaseModule } from '@tether/transport';
import { LINE } from './line.token';
import { TelephonyCallsController } from './telephony-calls.controller';
import { WebhookSignatureGuard } from './webhook-signature.guard';

/**
 * One line's entry point (sales, presales, service). The three apps are this module with a different line: they
 * differ by the policies registered for the line (its routing rules), never by forked code.
 */
@Module({})
export class LineAppModule {
  static forLine(line: Line, core: TetherCore): DynamicModule {
    return {
      module: LineAppModule,
      imports: [AppBaseModule.forApp(core, line)],
      controllers: [TelephonyCallsController],
      providers: [
        { provide: LINE, useValue: line },
        WebhookSignatureGuard,
        { provide: APP_GUARD, useClass: ThrottlerGuard },
      ],
    };
  }
}
