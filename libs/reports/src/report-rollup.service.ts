import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { inTransaction, one, Sql } from '@tether/persistence';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';

const QUARTER_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/** How far behind now the rollup stays: a contact's steps are read up to a day after its fold step's end. */
export const ROLLUP_SETTLE_MS = DAY_MS + QUARTER_MS;
/** One transaction folds at most this much arrival time (a backlog is folded a day at a time). */
const ROLLUP_STEP = '1 day';

export interface RollupStep {
  folded: number;
  foldedUntil: Date;
  more: boolean;
}

/** How long a rollup step's claim is held (a step that dies is taken over after this). */
const ROLLUP_HOLD_MS = 30_000;
const floorToQuarter = (ms: number): Date => new Date(Math.floor(ms / QUARTER_MS) * QUARTER_MS);

/**
 * The reports' rollup (`reports.rollup`, a durable job): contacts that arrived more than a day ago are folded once
 * into contact_outcomes (tether_fold_contact_outcomes), so a report over weeks reads one narrow row per contact
 * instead of folding every event of the range; the last day is folded live at each report (tether_report_facts),
 * so no figure is ever stale. Runs at every start and then at every 15-minute boundary; the job's dedupe key is the
 * boundary, so instances starting together make one chain. Each step runs fenced (a runner that lost its claim
 * writes nothing) under the watermark row's lock (a step is done once).
 */
@Injectable()
export class ReportRollupService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReportRollupService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly scheduler: DurableScheduler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const now = new Date();
    await this.scheduler.schedule(
      this.db.manager,
      'reports.rollup',
      now,
      {},
      `start@${floorToQuarter(now.getTime()).toISOString()}`,
    );
    this.scheduler.wake(now);
  }

  /** One fold step up to `until` (default: a day and 15 minutes behind now, on a 15-minute boundary). */
  async step(sql: Sql, until = floorToQuarter(Date.now() - ROLLUP_SETTLE_MS)): Promise<RollupStep> {
    const row = (await one<{ folded: number; folded_until: Date; more: boolean }>(
      sql,
      `SELECT * FROM tether_fold_contact_outcomes($1, $2::interval)`,
      [until, ROLLUP_STEP],
    ))!;
    return { folded: row.folded, foldedUntil: row.folded_until, more: row.more };
  }

  @OnJob('reports.rollup')
  async rollup(job: DueJob<'reports.rollup'>): Promise<void> {
    const run = await inTransaction(this.db, async (tx) => {
      // a step may wait for the watermark's lock and fold a day of contacts: longer than the scheduler's 5 s lease.
      // The claim is held for ROLLUP_HOLD_MS, or the next poll anywhere would claim the job again the moment this
      // transaction commits, and run the step twice (harmless, but a lost claim) while this completion is discarded
      await this.scheduler.fence(tx, job, { holdMs: ROLLUP_HOLD_MS });
      const step = await this.step(tx);
      const next = step.more
        ? new Date()
        : new Date(floorToQuarter(Date.now()).getTime() + QUARTER_MS + 60_000);
      await this.scheduler.schedule(
        tx,
        'reports.rollup',
        next,
        {},
        step.more ? `more@${job.id}` : `at@${next.toISOString()}`,
      );
      return { ...step, next };
    });
    this.scheduler.wake(run.next);
    if (run.folded > 0)
      this.logger.log(
        { folded: run.folded, foldedUntil: run.foldedUntil.toISOString() },
        'reports: contacts folded into the rollup',
      );
  }
}
