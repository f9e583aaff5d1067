import { DynamicModule, Module } from '@nestjs/common';
import { LineDefinition, LineDirectory } from '@tether/lines';
import type { Line } from '@tether/routing';
import { SecretsService } from '@tether/auth';
import { APP_DEFAULT_PORT, APP_WARM_UP_REQUESTS, type TetherCore } from '@tether/runtime';
import { AppBaseModule } from '@tether/transport';
import { LINE, LINE_DEFINITION } from './line.token';
import { lineWarmUpRequests } from './line-warm-up.requests';
import { MessagesController } from './messages.controller';
import { SurveysController } from './surveys.controller';
import { TelephonyCallsController } from './telephony-calls.controller';
import { TwilioSignatureGuard } from './twilio/twilio-signature.guard';
import { TwilioVoiceController } from './twilio/twilio-voice.controller';
import { TwilioVoiceMenu } from './twilio/twilio-voice.menu';
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
      imports: [
        // per client address, counted after the signature guard (TelephonyCallsController): unsigned requests never
        // spend the platform's budget; a platform sends from few addresses, at up to thousands of webhooks/s each
        AppBaseModule.forApp(core, line, {
          throttlers: () => [{ name: 'webhook', ttl: 1000, limit: core.config.webhookRateLimitPerSecond }],
        }),
      ],
      controllers: [TelephonyCallsController, TwilioVoiceController, MessagesController, SurveysController],
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
        {
          provide: APP_WARM_UP_REQUESTS,
          useFactory: (secrets: SecretsService) => () => lineWarmUpRequests(secrets.webhookSecret),
          inject: [SecretsService],
        },
        WebhookSignatureGuard,
        TwilioSignatureGuard,
        TwilioVoiceMenu,
      ],
    };
  }
}
