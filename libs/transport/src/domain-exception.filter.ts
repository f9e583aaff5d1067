import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, DomainErrorKind } from '@tether/errors';
import { scrubText } from '@tether/observability';

const STATUS: Record<DomainErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  precondition_failed: HttpStatus.PRECONDITION_FAILED,
};

/**
 * One mapping from failures to HTTP answers for every app: domain errors by kind, Nest's own HTTP exceptions as
 * they are, anything else a 500 (or 503 when the database/Redis is unreachable, so a provider retries the webhook).
 * Every answer carries the request id that is also in the logs.
 */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const requestId = String(request.id ?? '');
    if (exception instanceof DomainError) {
      if (exception.retryAfterSeconds !== undefined)
        void reply.header('retry-after', String(exception.retryAfterSeconds));
      void reply.status(STATUS[exception.kind]).send({
        statusCode: STATUS[exception.kind],
        error: exception.code,
        message: exception.message,
        requestId,
      });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const payload =
        typeof body === 'string' ? { statusCode: status, message: body } : { statusCode: status, ...body };
      void reply.status(status).send({ ...payload, requestId });
      return;
    }
    const fastifyStatus = (exception as { statusCode?: number }).statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      void reply
        .status(fastifyStatus)
        .send({ statusCode: fastifyStatus, message: (exception as Error).message, requestId });
      return;
    }
    const unavailable = isInfrastructureFailure(exception);
    const status = unavailable ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
    const message = exception instanceof Error ? exception.message : String(exception);
    this.logger.error(
      {
        requestId,
        err: exception instanceof Error ? { type: exception.name, message: scrubText(message) } : undefined,
      },
      'request failed',
    );
    void reply.status(status).send({
      statusCode: status,
      message: unavailable ? 'temporarily unavailable, retry later' : 'internal error',
      requestId,
    });
  }
}

function isInfrastructureFailure(error: unknown): boolean {
  const code =
    (error as { code?: string; driverError?: { code?: string } }).driverError?.code ??
    (error as { code?: string }).code;
  if (!code) return /connect|timeout|terminat|Connection/i.test(error instanceof Error ? error.message : '');
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001', '08003'].includes(
    code,
  );
}
