import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { INVALID_JSON } from './raw-json-body';

/** Runs before validation on request bodies: "not JSON" and "not an object" become a 400 that says so. */
@Injectable()
export class JsonBodyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    if (value === INVALID_JSON)
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: 'body is not valid JSON',
      });
    const wantsObject = metadata.metatype && metadata.metatype !== Object;
    if (
      wantsObject &&
      (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: 'body must be a JSON object',
      });
    }
    const reserved = findReservedKey(value);
    if (reserved) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `property ${reserved} should not exist`,
      });
    }
    return value;
  }
}

/** Names of Object.prototype members: whitelisting validation cannot see them as unknown, so refuse them here. */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

function findReservedKey(value: unknown, path = '', depth = 0): string | undefined {
  if (depth > 8 || typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (RESERVED_KEYS.has(key)) return here;
    const nested = findReservedKey((value as Record<string, unknown>)[key], here, depth + 1);
    if (nested) return nested;
  }
  return undefined;
}
