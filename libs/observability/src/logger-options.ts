import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { TetherConfig } from '@tether/config';
import { REDACTED_LOG_PATHS, scrubText } from './pii';

/** Request URLs can carry a provider call id but never PII; query strings are dropped to be safe. */
function safeUrl(url: string | undefined): string | undefined {
  return url?.split('?')[0];
}

export function loggerParams(config: TetherConfig, app: string): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      base: { app, instance: config.instanceId },
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      genReqId: (req: IncomingMessage) => {
        const header = req.headers['x-request-id'];
        return typeof header === 'string' && /^[\w-]{1,64}$/.test(header) ? header : randomUUID();
      },
      serializers: {
        req: (req: { id: string; method: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          url: safeUrl(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: (err: Error) => ({
          type: err.name,
          message: scrubText(err.message),
          stack: err.stack && scrubText(err.stack),
        }),
      },
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
      transport:
        config.logFormat === 'pretty' ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
    },
  };
}
