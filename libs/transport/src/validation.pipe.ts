import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** Every constraint failure as one message naming the field by its full path (`ivr.digits must be a string`). */
export function describeValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      // class-validator says "property x should not exist" for unknown fields; keep its wording, full path
      message.includes(error.property) ? message.replace(error.property, path) : `${path}: ${message}`,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
}

/** Whitelisting validation: unknown fields are refused, and the message names every offending field by path. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const messages = describeValidationErrors(errors);
      return new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: messages.join('; '),
        fields: messages,
      });
    },
  });
}
