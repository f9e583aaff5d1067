import type { Params } from 'nestjs-pino';
// nestjs-pino's async-local store (not re-exported by its index): PinoLogger reads the logger of the current
// request from it, and falls back to the first logger it was given when there is none.
import { Store, storage } from 'nestjs-pino/storage';
import { type Logger, pino } from 'pino';
import type { IncomingMessage } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TetherConfig } from '@tether/config';
import { REDACTED_LOG_PATHS, scrubText } from './pii';

/** Request URLs can carry a provider call id but never PII; query strings are dropped to be safe. */
function safeUrl(url: string | undefined): string | undefined {
  return url?.split('?')[0];
}

function serializeError(err: Error) {
  return { type: err.name, message: scrubText(err.message), stack: err.stack && scrubText(err.stack) };
}

/** pino-pretty's entry point, or undefined where it is not installed (a production install without dev packages). */
function prettyTarget(): string | undefined {
  try {
    return require.resolve('pino-pretty');
  } catch {
    return undefined;
  }
}

/** stdout is written once this much is buffered ... */
export const LOG_WRITE_MIN_BYTES = 4096;
/** ... or this often (ms), so a quiet process's lines are never held longer */
export const LOG_FLUSH_MS = 200;

/**
 * The process's one pino logger: level, format, redaction of personal data and the `instance` binding. The core and
 * each app log through a child of it that names them (`app`), so a process has one destination, one redaction and
 * one pretty-printing worker however many apps it runs.
 *
 * Nothing on the hot path waits for a log line to be written. JSON goes to an asynchronous destination (sonic-boom,
 * `sync: false`): a line is appended to a buffer that is written out while the process goes on, once it holds
 * `LOG_WRITE_MIN_BYTES` or every `LOG_FLUSH_MS`, whichever comes first (a write per line cost a 10,000-agent connect
 * storm 15-20% of its time on 2 cores: each write to stdout's pipe woke its reader; bench/README.md, "Session 11");
 * pino flushes it synchronously when the process exits
 * (`TetherProcess.stop` on SIGINT/SIGTERM ends with `process.exit`), so the last lines are not lost. Pretty output
 * (LOG_FORMAT=pretty, the default on a terminal) is formatted and written by pino-pretty in a worker thread, which
 * pino also flushes on exit; without pino-pretty installed the lines stay JSON.
 */
export function createProcessLogger(
  config: Pick<TetherConfig, 'logLevel' | 'logFormat' | 'instanceId'>,
): Logger {
  const options = {
    level: config.logLevel,
    base: { instance: config.instanceId },
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
  };
  const pretty = config.logFormat === 'pretty' ? prettyTarget() : undefined;
  if (pretty)
    return pino({
      ...options,
      transport: { target: pretty, options: { singleLine: true, colorize: process.stdout.isTTY === true } },
    });
  return pino(
    options,
    pino.destination({ dest: 1, sync: false, minLength: LOG_WRITE_MIN_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}

/**
 * nestjs-pino's parameters for the process's core (an application context, no HTTP): `logger` is what every line
 * logged outside a request or an app's own work is written with.
 */
export function coreLoggerParams(logger: Logger): Params {
  return { pinoHttp: { logger } };
}

/** The header (and this process's own value of it) that marks the requests an app sends itself while warming up. */
export const WARM_UP_HEADER = 'x-tether-warm-up';
export const WARM_UP_TOKEN = randomBytes(16).toString('hex');

/** A request the process sent itself at start-up (`warmUpApp`): not logged. Nobody else knows the token. */
function isWarmUpRequest(req: IncomingMessage): boolean {
  return req.headers[WARM_UP_HEADER] === WARM_UP_TOKEN;
}

/**
 * nestjs-pino's parameters for an app: each HTTP request gets a child of `logger` (the app's) with the request's id,
 * which logs the request and everything done while serving it.
 */
export function httpLoggerParams(logger: Logger): Params {
  return {
    pinoHttp: {
      logger,
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
        err: serializeError,
      },
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || isWarmUpRequest(req) },
    },
  };
}

/**
 * Runs `work` with `logger` as the logger of everything it does and everything it starts that outlives it (servers
 * and the sockets they accept, timers, listeners), unless a request's own logger takes over: nestjs-pino's logger
 * reads it from the async-local store this sets.
 */
export function runWithLogger<T>(logger: Logger, work: () => T): T {
  return storage.run(new Store(logger), work);
}
