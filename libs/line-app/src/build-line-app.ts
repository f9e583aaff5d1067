import type { Line } from '@tether/routing';
import type { AppBuilder } from '@tether/runtime';
import { createHttpApp } from '@tether/transport';
import { LineAppModule } from './line-app.module';

/** Webhook bodies are small; anything over 64 KB is refused with 413 before it is parsed. */
const WEBHOOK_BODY_LIMIT = 64 * 1024;

export function lineAppBuilder(line: Line): AppBuilder {
  return (core) =>
    createHttpApp({
      module: LineAppModule.forLine(line, core),
      bodyLimitBytes: WEBHOOK_BODY_LIMIT,
      trustedProxies: core.config.trustedProxies,
      swagger: {
        title: `Tether ${line} line`,
        description: `Telephony/IVR webhooks of the ${line} line. Every /v1/telephony request is signed with X-Tether-Signature.`,
      },
    });
}
