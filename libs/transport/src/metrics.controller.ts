import { Controller, Get, Inject, NotFoundException, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { TetherMetrics } from '@tether/observability';
import { Public } from './public-route.decorator';

/**
 * `GET /metrics`: the process's Prometheus figures (TetherMetrics), unauthenticated like `/health`. With
 * TETHER_METRICS_PORT set they are served on that port only (libs/runtime's MetricsPortServer) and this answers 404.
 */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: TetherMetrics,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
  ) {}

  @Get()
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (this.config.metricsPort !== undefined)
      throw new NotFoundException(`metrics are served on port ${this.config.metricsPort}`);
    const { contentType, body } = await this.metrics.render();
    void reply.header('content-type', contentType);
    return body;
  }
}
