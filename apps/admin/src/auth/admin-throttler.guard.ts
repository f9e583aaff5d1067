import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AuditLogService } from '../audit/audit-log.service';
import { principalOf } from './admin-identity';

/**
 * @nestjs/throttler's guard over `adminThrottlers`, which also records every 429 in the audit log (aggregated per
 * address per minute, like every refusal) and says which budget ran out.
 */
@Injectable()
export class AdminThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly audit: AuditLogService,
  ) {
    super(options, storage, reflector);
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    this.audit.refused(request, 429);
    const retry = `retry in ${detail.timeToBlockExpire} s`;
    throw new ThrottlerException(
      principalOf(request)
        ? `too many requests with this token (${detail.limit} per ${detail.ttl / 1000} s): ${retry}`
        : `too many refused attempts from this address (${detail.limit} per ${detail.ttl / 1000} s): ${retry}`,
    );
  }
}
