import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import { LineDefinition, LineDirectory } from '@tether/lines';
import type { Line } from '@tether/routing';
import { APP_DEFAULT_PORT, type TetherCore } from '@tether/runtime';
import { AppBaseModule } from '@tether/transport';
import { LINE, LINE_DEFINITION } from './line.token';
import { TelephonyCallsController } from './telephony-calls.controller';
import { WebhookSignatureGuard } from './webhook-signature.guard';

/**
 * One line's entry point, for any row of the `lines` table (sales, presales and service by default). Every line app
 * is this module with a different line: they differ by the policies registered for the line (its routing rules),
 * never by forked code. A line with no row refuses to start (`LineNotDefined`, while the app is built).
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
        {
          provide: LINE_DEFINITION,
          useFactory: (lines: LineDirectory) => lines.require(line),
          inject: [LineDirectory],
        },
        {
          provide: APP_DEFAULT_PORT,
          useFactory: (definition: LineDefinition) => definition.defaultPort,
          inject: [LINE_DEFINITION],
        },
        WebhookSignatureGuard,
        { provide: APP_GUARD, useClass: ThrottlerGuard },
      ],
    };
  }
}
