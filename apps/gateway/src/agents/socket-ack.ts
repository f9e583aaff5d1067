import { Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DomainError } from '@tether/errors';
import { scrubText } from '@tether/observability';
import type { AckError } from '@tether/realtime';

type DtoClass<T> = new () => T;

/** Validates a socket payload like an HTTP body: unknown fields refused, every problem named. */
export function parsePayload<T extends object>(
  dto: DtoClass<T>,
  payload: unknown,
): { value: T } | { error: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { error: 'payload must be an object' };
  const value = plainToInstance(dto, payload);
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true });
  if (errors.length > 0) {
    return { error: errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; ') };
  }
  return { value };
}

const logger = new Logger('AgentsGateway');

/**
 * Every client event answers through its ack: `{ok: true, ...fields}` or `{ok: false, error}` (AckError); nothing
 * throws to the socket.
 */
export async function answer<T extends object, R extends object>(
  dto: DtoClass<T>,
  payload: unknown,
  work: (value: T) => Promise<R>,
): Promise<({ ok: true } & R) | AckError> {
  const parsed = parsePayload(dto, payload);
  if ('error' in parsed) return { ok: false, error: parsed.error };
  return answerPlain(() => work(parsed.value));
}

/** `answer` for an event whose payload carries nothing to validate (whatever the client sent is ignored). */
export async function answerPlain<R extends object>(
  work: () => Promise<R>,
): Promise<({ ok: true } & R) | AckError> {
  try {
    return { ok: true, ...(await work()) };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error: error.message };
    logger.error(
      `socket handler failed: ${scrubText(error instanceof Error ? error.message : String(error))}`,
    );
    return { ok: false, error: 'internal error, try again' };
  }
}
