import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { one, rows, Sql } from '@tether/persistence';
import { scrubText } from '@tether/observability';
import type { JobKind, JobPayloads } from './job-map';
import { WakeTimer } from './wake-timer';

export interface DueJob<K extends JobKind = JobKind> {
  id: string;
  kind: K;
  payload: JobPayloads[K];
  attempts: number;
  dedupeKey: string | null;
  /**
   * This claim's fencing token (a bigint, as a string): every claim of any job takes the next value of one sequence,
   * so a runner whose lease ran out and whose job was claimed again holds an older token than the new claimer.
   * Completing or rescheduling the job checks it; a handler's own effects check it with `DurableScheduler.fence`.
   */
  claimToken: string;
}

/** A handler either finishes (the job is deleted) or throws (the job is retried with backoff). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- registered per kind; `OnJob` types each handler
export type JobHandler = (job: DueJob<any>) => Promise<void>;

/**
 * Thrown by a handler that wants a specific retry delay instead of the default backoff. `expected`: not a failure
 * but the job moved to a later time (a conversation's idle timer after a new message), logged at debug level.
 */
export class RetryJobLater extends Error {
  readonly expected: boolean;

  constructor(
    message: string,
    readonly delayMs: number,
    options: { expected?: boolean } = {},
  ) {
    super(message);
    this.expected = options.expected ?? false;
  }
}

/**
 * Thrown by `fence` (and so out of a handler) when this runner no longer holds the job: its lease ran out and
 * another instance claimed the job since (a newer token), or the job was completed or cancelled meanwhile. The
 * handler's transaction rolls back, so nothing it wrote happens; the scheduler neither completes nor retries it.
 */
export class JobClaimLost extends Error {
  constructor(
    readonly jobId: string,
    readonly claimToken: string,
  ) {
    super(`job ${jobId} is no longer held by claim ${claimToken}`);
    this.name = 'JobClaimLost';
  }
}

/** Handlers take milliseconds; a dead runner's timers are taken over this soon after it claimed them. */
const LEASE_SECONDS = 5;
const BATCH = 100;

/**
 * Timers that must survive a process's death (holds for a preferred agent, wrap-up end, disconnect grace, callback retries; offers expire by their own
 * `expires_at`, see OfferExpiryClock) are rows in
 * scheduled_jobs, written in the same transaction as the state change they belong to. Every process polls for due
 * rows with FOR UPDATE SKIP LOCKED under a lease, so a job runs once even with many instances, and a job whose
 * runner died is taken over when its lease ends. A local timer wakes the poller at the exact due time, so firing is
 * prompt without hammering the database.
 */
@Injectable()
export class DurableScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DurableScheduler.name);
  private readonly handlers = new Map<JobKind, JobHandler>();
  private pollTimer?: NodeJS.Timeout;
  private readonly wakeTimer = new WakeTimer(() => this.poll());
  private polling = false;
  private pollAgain = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
  ) {}

  /** Handlers are found by `@OnJob` (JobHandlerExplorer); tests may register one directly. */
  register<K extends JobKind>(kind: K, handler: (job: DueJob<K>) => Promise<void>): void {
    this.handlers.set(kind, handler);
  }

  /**
   * Schedules inside the caller's transaction; with a dedupe key, an existing job of that kind and key wins. The
   * same SQL function the lifecycle's functions schedule with (libs/scheduler/sql/schedule_job.sql).
   */
  async schedule<K extends JobKind>(
    sql: Sql,
    kind: K,
    runAt: Date,
    payload: JobPayloads[K],
    dedupeKey?: string,
  ): Promise<void> {
    await sql.query(`SELECT tether_schedule_job($1, $2, $3, $4)`, [
      kind,
      dedupeKey ?? null,
      JSON.stringify(payload),
      runAt,
    ]);
  }

  /**
   * The fence for a handler's effects, inside the handler's own transaction: passes only if this claim
   * (`job.claimToken`) still holds the job with its lease not run out, and then keeps the job row-locked until that
   * transaction ends, so no other instance can claim it in between (claims skip locked rows): effects written after
   * the fence commit only while the claim is held. Otherwise throws `JobClaimLost` (the transaction rolls back).
   * `holdMs` extends the lease to at least that long from now, for an effect outside the database (an HTTP call)
   * that must be over before anyone else may claim the job.
   */
  async fence(sql: Sql, job: DueJob, options: { holdMs?: number } = {}): Promise<void> {
    const held = await one<{ id: string }>(
      sql,
      `UPDATE scheduled_jobs SET locked_until = GREATEST(locked_until, clock_timestamp() + make_interval(secs => $3))
       WHERE id = $1 AND claim_token = $2 AND locked_until > clock_timestamp()
       RETURNING id`,
      [job.id, job.claimToken, (options.holdMs ?? 0) / 1000],
    );
    if (!held) throw new JobClaimLost(job.id, job.claimToken);
  }

  /** After the scheduling transaction commits: make this process look again at (about) that time. */
  wake(at: Date = new Date()): void {
    if (this.stopped || this.handlers.size === 0) return;
    this.wakeTimer.at(at);
  }

  onApplicationBootstrap(): void {
    if (this.handlers.size === 0) return;
    this.pollTimer = setInterval(() => this.poll(), this.config.timerPollMs);
    this.pollTimer.unref();
    this.poll();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.wakeTimer.cancel();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Runs one poll now (tests and the poll timer). */
  poll(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    const run = this.pollOnce()
      .catch((error: Error) => this.logger.warn(`poll failed: ${scrubText(error.message)}`))
      .finally(() => {
        this.polling = false;
        this.inFlight.delete(run);
        if (this.pollAgain) {
          this.pollAgain = false;
          this.poll();
        }
      });
    this.inFlight.add(run);
  }

  private async pollOnce(): Promise<void> {
    for (;;) {
      const due = await rows<{
        id: string;
        kind: JobKind;
        payload: JobPayloads[JobKind];
        attempts: number;
        dedupe_key: string | null;
        claim_token: string;
        locked_until: Date;
      }>(
        this.dataSource.manager,
        `UPDATE scheduled_jobs SET locked_until = now() + make_interval(secs => $1), locked_by = $2, attempts = attempts + 1,
                claim_token = nextval('scheduled_jobs_claim_token_seq')
         WHERE id IN (
           SELECT id FROM scheduled_jobs
           WHERE run_at <= now() AND (locked_until IS NULL OR locked_until < now()) AND kind = ANY($3)
           ORDER BY run_at LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING id, kind, payload, attempts, dedupe_key, claim_token::text AS claim_token, locked_until`,
        [LEASE_SECONDS, this.config.instanceId, [...this.handlers.keys()], BATCH],
      );
      if (due.length === 0 || this.stopped) return;
      await Promise.all(
        due.map((job) =>
          this.runJob(
            {
              id: job.id,
              kind: job.kind,
              payload: job.payload,
              attempts: job.attempts,
              dedupeKey: job.dedupe_key,
              claimToken: job.claim_token,
            },
            job.locked_until,
          ),
        ),
      );
      if (due.length < BATCH) return;
    }
  }

  /**
   * Runs a claimed job. Completing (deleting) or rescheduling it is conditional on the claim token in the same
   * statement: a runner that lost its claim (lease ran out while it was paused or partitioned, and another instance
   * claimed the job) can neither delete the job from under the new claimer nor reset its lease.
   */
  private async runJob(job: DueJob, leasedUntil: Date): Promise<void> {
    const handler = this.handlers.get(job.kind);
    if (!handler) return;
    try {
      await handler(job);
      const { outcome, lateMs } = await this.settleWithLateness(
        `DELETE FROM scheduled_jobs WHERE id = $1 AND claim_token = $2`,
        [job.id, job.claimToken],
      );
      if (outcome === 'lost' || (outcome === 'gone' && Date.now() > leasedUntil.getTime()))
        this.claimLost(job, 'its completion discarded');
      // legitimate (nobody claimed it meanwhile), but a handler slower than the lease can run twice. Judged by the
      // database's clock when the delete applied: an answer that only reached this process late (a partition right
      // after the delete) is not a late completion
      else if (outcome === 'done' && lateMs !== null && lateMs > 0)
        this.logger.warn(
          { jobId: job.id, kind: job.kind, claimToken: job.claimToken, lateMs },
          'job completed after its lease ran out',
        );
    } catch (error) {
      if (error instanceof JobClaimLost) {
        this.claimLost(job, 'its handler refused its effects');
        return;
      }
      const delayMs = error instanceof RetryJobLater ? error.delayMs : backoffMs(job.attempts);
      const message = scrubText(error instanceof Error ? error.message : String(error));
      if (error instanceof RetryJobLater && error.expected)
        this.logger.debug({ jobId: job.id, kind: job.kind, runInMs: delayMs }, `job moved: ${message}`);
      else
        this.logger.warn(
          { jobId: job.id, kind: job.kind, attempts: job.attempts, retryInMs: delayMs },
          `job failed: ${message}`,
        );
      const outcome = await this.settle(
        `UPDATE scheduled_jobs SET run_at = now() + make_interval(secs => $3), locked_until = NULL, last_error = $4
         WHERE id = $1 AND claim_token = $2`,
        [job.id, job.claimToken, delayMs / 1000, message.slice(0, 500)],
      ).catch(() => undefined);
      if (outcome === 'lost' || (outcome === 'gone' && Date.now() > leasedUntil.getTime()))
        this.claimLost(job, 'its retry discarded');
      else this.wake(new Date(Date.now() + delayMs));
    }
  }

  /**
   * Runs a token-conditional DELETE/UPDATE of one job ($1 id, $2 token): 'done' if it applied, 'lost' if the job is
   * held by a newer claim, 'gone' if it no longer exists (completed by a newer claim, or cancelled by its owner).
   */
  private async settle(statement: string, params: unknown[]): Promise<'done' | 'lost' | 'gone'> {
    return (await this.settleWithLateness(statement, params)).outcome;
  }

  /**
   * `settle`, and for a DELETE that applied, how far past the job's lease the database was when it applied (ms; ≤ 0
   * in time; null for an UPDATE, whose RETURNING sees the new lease).
   */
  private async settleWithLateness(
    statement: string,
    params: unknown[],
  ): Promise<{ outcome: 'done' | 'lost' | 'gone'; lateMs: number | null }> {
    const row = await one<{ applied: boolean; current: string | null; late_ms: string | null }>(
      this.dataSource.manager,
      `WITH settled AS (${statement}
                        RETURNING id, (extract(epoch FROM clock_timestamp() - locked_until) * 1000)::bigint AS late_ms)
       SELECT EXISTS (SELECT 1 FROM settled) AS applied,
              (SELECT late_ms FROM settled) AS late_ms,
              (SELECT claim_token::text FROM scheduled_jobs WHERE id = $1) AS current`,
      params,
    );
    if (row?.applied) return { outcome: 'done', lateMs: row.late_ms === null ? null : Number(row.late_ms) };
    return { outcome: row?.current == null ? 'gone' : 'lost', lateMs: null };
  }

  /** Also for a job gone after this runner's lease ran out: most likely a newer claim completed it meanwhile. */
  private claimLost(job: DueJob, what: string): void {
    this.logger.warn(
      { jobId: job.id, kind: job.kind, claimToken: job.claimToken },
      `job claim lost (lease ran out and the job was claimed again): ${what}`,
    );
  }
}

/** 0.5 s, 1 s, 2 s, ... capped at 5 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(500 * 2 ** Math.max(0, attempts - 1), 300_000);
}
