import { Global, Module } from '@nestjs/common';
import { TetherMetrics } from './tether-metrics';

/** The process's one TetherMetrics, for the core's services (the apps get the same instance through the bridge). */
@Global()
@Module({
  providers: [{ provide: TetherMetrics, useFactory: () => new TetherMetrics() }],
  exports: [TetherMetrics],
})
export class MetricsModule {}
