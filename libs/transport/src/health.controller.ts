import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { EventBus, InProcessEventBus } from '@tether/realtime';
import { Public } from './public-route.decorator';

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly bus: EventBus,
  ) {}

  /** 200 once the app can serve: its database answers, and Redis too when configured. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      async () => {
        const indicator = this.indicators.check('redis');
        if (this.bus instanceof InProcessEventBus) return indicator.up({ mode: 'in-process' });
        const ok = await Promise.race([
          this.bus.ping().catch(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
        ]);
        return ok ? indicator.up() : indicator.down();
      },
    ]);
  }
}
