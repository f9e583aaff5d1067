import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { adminActorOf } from '../auth/admin-identity';
import { Refusal, RefusalAggregator } from '@tether/observability';

/** One audit_log row. */
export interface AuditEntry {
  /** `admin:<12 hex digits of the token's SHA-256>` (`adminActor`), or `anonymous` for a refused request */
  actor: string;
  /** `POST /v1/agents`: method and route, never values */
  action: string;
  /** the id acted on: the path's id or line, or for a create the id the response carries */
  target: string | null;
  status: number;
  requestId: string | null;
  /** the body's field names (never their values: bodies carry personal data) */
  fields: string[];
  /** the client's address behind the trusted proxies (`TETHER_TRUSTED_PROXIES`) */
  address: string | null;
  /** how many requests the row stands for: 1, or a minute's refusals from one address after its first */
  count: number;
}

/**
 * The admin app's audit log (table `audit_log`, append-only): every write, and every refused request (401, 403,
 * 429), the refusals aggregated per address per minute (`RefusalAggregator`) so a flood cannot fill the disk.
 */
@Injectable()
export class AuditLogService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuditLogService.name);
  private readonly refusals = new RefusalAggregator((refusal, count) => this.writeRefusal(refusal, count));
  private readonly writing = new Set<Promise<void>>();
  private sweeper?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => this.refusals.sweep(), 10_000);
    this.sweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    this.refusals.flush();
    await Promise.all(this.writing);
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (actor, action, target, status, request_id, fields, address, count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        entry.actor,
        entry.action,
        entry.target,
        entry.status,
        entry.requestId,
        entry.fields,
        entry.address,
        entry.count,
      ],
    );
  }

  /** A refused request (the auth guard's 401, the throttler's 429): recorded in the background, aggregated. */
  refused(request: FastifyRequest, status: number): void {
    this.refusals.add({
      address: request.ip,
      actor: adminActorOf(request) ?? 'anonymous',
      status,
      action: actionOf(request),
      requestId: String(request.id),
    });
  }

  private writeRefusal(refusal: Refusal, count: number): void {
    const write = this.record({ ...refusal, target: null, fields: [], count })
      .catch((error: Error) => this.logger.warn(`audit of a refused request failed: ${error.message}`))
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }
}

/** `POST /v1/agents/:id`: the matched route, or the path without its query for a request that matched none. */
export function actionOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
}
