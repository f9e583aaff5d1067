import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { TetherMetrics } from '@tether/observability';

/**
 * Counts every answered request of one app (refusals by guards and 404s included) into TetherMetrics, labelled by
 * the route's pattern (`/v1/telephony/calls/:callId/events`), never by the path: a call id in a label would make a
 * series per call.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: TetherMetrics,
    private readonly app: string,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions?.url ?? 'unmatched';
      const labels = { app: this.app, method: request.method, route };
      this.metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
      this.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}
