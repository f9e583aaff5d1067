import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, catchError, from, mergeMap, throwError } from 'rxjs';
import { DataSource } from 'typeorm';
import { DomainError } from '@tether/errors';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Writes one audit_log row per admin write (what, on which id, with which outcome) before the answer goes out.
 * Only field names are recorded, never values: bodies carry personal data.
 */
@Injectable()
export class AuditLogInterceptor implements NestInterceptor {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!WRITES.has(request.method)) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const record = (status: number) => this.record(request, status);
    return next.handle().pipe(
      mergeMap((result: unknown) =>
        from(record(defaultStatus(request.method, reply.statusCode))).pipe(
          mergeMap((): unknown[] => [result]),
        ),
      ),
      catchError((error: unknown) =>
        from(record(statusOf(error)).catch(() => undefined)).pipe(mergeMap(() => throwError(() => error))),
      ),
    );
  }

  private async record(request: FastifyRequest, status: number): Promise<void> {
    const route = request.routeOptions.url ?? request.url.split('?')[0];
    const params = request.params as Record<string, string> | undefined;
    const body = request.body;
    const fields =
      body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).slice(0, 50) : [];
    await this.dataSource.query(
      `INSERT INTO audit_log (actor, action, target, status, request_id, fields) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        'admin',
        `${request.method} ${route}`,
        params?.id ?? params?.line ?? null,
        status,
        String(request.id),
        fields,
      ],
    );
  }
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
    }[error.kind];
  return 500;
}
