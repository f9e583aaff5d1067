import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { INVALID_JSON } from './raw-json-body';

/** Runs before validation on request bodies: "not JSON" and "not an object" become a 400 that says so. */
@Injectable()
export class JsonBodyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    if (value === INVALID_JSON) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'body is not valid JSON' });
    const wantsObject = metadata.metatype && metadata.metatype !== Object;
    if (wantsObject && (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'body must be a JSON object' });
    }
    return value;
  }
}
