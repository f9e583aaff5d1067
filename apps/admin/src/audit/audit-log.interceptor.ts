import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import {
  CallHandler,
  ExecutionContext,
  HttpException,
  Injectable,
  NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, catchError, from, mergeMap, throwError } from 'rxjs';
import { DomainError } from '@tether/errors';
import { adminActorOf } from '../auth/admin-identity';
import { AuditLogService, actionOf } from './audit-log.service';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const AUDITED_READ = 'tether:auditedRead';

/**
 * A read audited like a write: one that hands out a customer's personal data whole (the export), so who took it,
 * from where and when is on record.
 */
export const AuditedRead = (): MethodDecorator => SetMetadata(AUDITED_READ, true);

/**
 * Writes one audit_log row per admin write (who, from where, what, on which id, with which outcome) before the
 * answer goes out. Only field names are recorded, never values: bodies carry personal data. Requests the guards
 * refuse never get here (they record them: `AuditLogService.refused`). Reads are not audited, except those marked
 * @AuditedRead() and a read the handler refuses (403: another line's object). The actor is the principal's:
 * `admin:<hash>` or `user:<id>`.
 */
@Injectable()
export class AuditLogInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditLogService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const audited =
      WRITES.has(request.method) || Reflect.getMetadata(AUDITED_READ, context.getHandler()) === true;
    if (!audited)
      return next
        .handle()
        .pipe(
          catchError((error: unknown) =>
            statusOf(error) === 403
              ? from(this.record(request, 403).catch(() => undefined)).pipe(
                  mergeMap(() => throwError(() => error)),
                )
              : throwError(() => error),
          ),
        );
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const record = (status: number, result?: unknown) => this.record(request, status, result);
    // a handler's @HttpCode is applied after this runs: without one, Nest answers a POST with 201
    const declared = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined;
    return next.handle().pipe(
      mergeMap((result: unknown) =>
        from(record(declared ?? defaultStatus(request.method, reply.statusCode), result)).pipe(
          mergeMap((): unknown[] => [result]),
        ),
      ),
      catchError((error: unknown) =>
        from(record(statusOf(error)).catch(() => undefined)).pipe(mergeMap(() => throwError(() => error))),
      ),
    );
  }

  private record(request: FastifyRequest, status: number, result?: unknown): Promise<void> {
    const params = request.params as Record<string, string> | undefined;
    const body = request.body;
    const fields =
      body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).slice(0, 50) : [];
    return this.audit.record({
      actor: adminActorOf(request) ?? 'anonymous',
      action: actionOf(request),
      target: params?.id ?? params?.line ?? createdId(result) ?? null,
      status,
      requestId: String(request.id),
      fields,
      address: request.ip,
      count: 1,
    });
  }
}

/** A create answers with what it created: its id is the target (`POST /v1/agents` → the new agent's id). */
function createdId(result: unknown): string | undefined {
  const id = (result as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

function defaultStatus(method: string, current: number): number {
  return current === 200 && method === 'POST' ? 201 : current;
}

function statusOf(error: unknown): number {
  if (error instanceof HttpException) return error.getStatus();
  if (error instanceof DomainError)
    return {
      invalid: 400,
      unauthorized: 401,
      forbidden: 403,
      not_found: 404,
      conflict: 409,
      unavailable: 503,
      precondition_failed: 412,
    }[error.kind];
  return 500;
}
