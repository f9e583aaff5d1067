import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { finalize, Observable } from 'rxjs';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { DomainError } from '@tether/errors';

/** A call webhook refused because the line app already serves TETHER_INTAKE_MAX_IN_FLIGHT of them: 503, retry. */
export class IntakeAtCapacity extends DomainError {
  constructor(limit: number, retryAfterSeconds: number) {
    super(
      'intake_at_capacity',
      'unavailable',
      `this line is serving ${limit} calls at once: retry in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  }
}

/**
 * Admission limit on a line's call intake. Past what the machine sustains, every webhook admitted waits longer
 * (for a database connection, the CPU): answering all of them makes all of them slow, the platform's timeouts
 * fire, and its retries add load. So a line app serves at most `intakeMaxInFlight` call webhooks at once and
 * answers one more `503` with `Retry-After` at once, before any database work: what it admits is answered fast
 * and queued durably, what it refuses was never accepted (nothing to lose), and admission resumes by itself as the
 * webhooks in flight finish. Runs after the signature guard and the rate limit, so only signed calls count.
 */
@Injectable()
export class IntakeAdmissionInterceptor implements NestInterceptor {
  private inFlight = 0;

  constructor(@Inject(TETHER_CONFIG) private readonly config: TetherConfig) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const limit = this.config.intakeMaxInFlight;
    if (limit > 0 && this.inFlight >= limit)
      throw new IntakeAtCapacity(limit, this.config.intakeRetryAfterSeconds);
    this.inFlight++;
    return next.handle().pipe(finalize(() => this.inFlight--));
  }
}
