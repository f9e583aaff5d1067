import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { finalize, Observable } from 'rxjs';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { DomainError } from '@tether/errors';
import { IntakeLatencyLimit, STANDING_QUEUE_INTERVAL_MS } from './intake-latency-limit';

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
 * A call webhook refused because the line's webhooks wait past TETHER_INTAKE_TARGET_MS and more arrive than it
 * serves in that time (IntakeLatencyLimit): 503, retry.
 */
export class IntakeOverloaded extends DomainError {
  constructor(targetMs: number, retryAfterSeconds: number) {
    super(
      'intake_overloaded',
      'unavailable',
      `this line receives more calls than it answers within ${targetMs} ms (TETHER_INTAKE_TARGET_MS): ` +
        `nothing was recorded, retry in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  }
}

/**
 * Admission limits on a line's call intake. Past what the machine sustains, every webhook admitted waits longer
 * (for a database connection, the CPU): answering all of them makes all of them slow, the platform's timeouts
 * fire, and its retries add load. So a line app refuses one more call webhook with `503` and `Retry-After` at once,
 * before any database work, when
 * - it already serves `intakeMaxInFlight` of them (a hard bound on memory and connections), or
 * - its webhooks wait past `intakeTargetMs` and more arrive than it serves in that time (IntakeLatencyLimit: the
 *   bound on latency, which a count alone does not give when the throughput itself falls).
 * What it admits is answered and queued durably, what it refuses was never accepted (nothing to lose), and
 * admission resumes by itself as the webhooks in flight finish. Runs after the signature guard and the rate limit,
 * so only signed calls count.
 *
 * A webhook's wait is measured from its arrival as Fastify saw it (`reply.elapsedTime`: the routing of the request,
 * before its body was read and the guards ran), not from this interceptor: under load the body, the signature and
 * the event loop's own lag are part of the wait. The oldest webhook in flight carries the event loop's lag in its
 * age (every await of it waits for a turn of the loop), so no separate event-loop-delay monitor is needed; what
 * neither sees is the time a request sat in the kernel before the loop read it, at most one turn of the loop.
 */
@Injectable()
export class IntakeAdmissionInterceptor implements NestInterceptor, OnModuleInit {
  private inFlight = 0;
  /** call webhooks in the HTTP layer: arrived (Fastify's onRequest), not yet answered, wherever they are */
  private waiting = 0;
  /** arrival time (performance.now()) of each webhook in flight, in admission order: the first is the oldest */
  private readonly arrivals = new Map<number, number>();
  private nextId = 0;
  private readonly latency: IntakeLatencyLimit;

  constructor(
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.latency = new IntakeLatencyLimit(
      config.intakeTargetMs,
      STANDING_QUEUE_INTERVAL_MS,
      config.intakeHoldFloor,
    );
  }

  /**
   * Counts the call webhooks from their arrival, before their body is read and the guards run: a platform that waits
   * for its answers never has more waiting than its connections, wherever they wait (IntakeLatencyLimit's hold).
   */
  onModuleInit(): void {
    if (this.config.intakeTargetMs <= 0) return;
    const fastify = this.adapterHost?.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    fastify.addHook('onRequest', (request, reply, done) => {
      if (request.method === 'POST' && request.routeOptions.url === CALLS_ROUTE) {
        this.waiting++;
        reply.raw.once('close', () => this.waiting--);
      }
      done();
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const limit = this.config.intakeMaxInFlight;
    if (limit > 0 && this.inFlight >= limit)
      throw new IntakeAtCapacity(limit, this.config.intakeRetryAfterSeconds);
    const now = performance.now();
    const arrivedAt = now - waitedSinceArrival(context);
    const oldest = this.arrivals.values().next();
    const waiting = Math.max(this.waiting, this.inFlight + 1);
    if (!this.latency.admits(now, this.inFlight, oldest.done ? undefined : oldest.value, waiting))
      throw new IntakeOverloaded(this.latency.targetMs, this.config.intakeRetryAfterSeconds);
    const id = this.nextId++;
    this.arrivals.set(id, arrivedAt);
    this.inFlight++;
    return next.handle().pipe(
      finalize(() => {
        this.arrivals.delete(id);
        this.inFlight--;
        this.latency.finished(performance.now(), arrivedAt);
      }),
    );
  }
}

/** the route this interceptor guards (TelephonyCallsController's POST), as Fastify names it */
const CALLS_ROUTE = '/v1/telephony/calls';

/** ms since the HTTP layer received the request (Fastify's reply.elapsedTime); 0 outside HTTP */
function waitedSinceArrival(context: ExecutionContext): number {
  if (typeof context.getType !== 'function' || context.getType() !== 'http') return 0;
  const reply = context.switchToHttp().getResponse<{ elapsedTime?: unknown }>();
  const waited = reply?.elapsedTime;
  return typeof waited === 'number' && Number.isFinite(waited) && waited > 0 ? waited : 0;
}
