import { DataSource } from 'typeorm';
import { loadConfig } from '@tether/config';
import { createDataSource, inTransaction, one, rows, runMigrations } from '@tether/persistence';
import { createTestDatabase, TestDatabase, waitFor } from '@tether/testing';
import { DueJob, DurableScheduler, JobClaimLost } from './durable-scheduler';

// the kinds these tests schedule, added to the typed job map for this file's type check only
declare module './job-map' {
  interface JobPayloads {
    'test.once': { n: string };
    'test.takeover': Record<string, never>;
    'test.retry': Record<string, never>;
    'fence.effect': Record<string, never>;
    'fence.complete': Record<string, never>;
    'fence.retry': Record<string, never>;
    'fence.hold': Record<string, never>;
  }
}

/**
 * Durable timers against a real PostgreSQL with the real migrations: once-only across instances, takeover, retry,
 * and fencing of a runner that lost its claim.
 */
describe('DurableScheduler (real PostgreSQL)', () => {
  let db: TestDatabase;
  let sources: DataSource[] = [];
  let schedulers: DurableScheduler[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const migrator = await createDataSource(db.url, 2).initialize();
    await runMigrations(migrator);
    await migrator.destroy();
  });
  afterEach(async () => {
    await Promise.all(schedulers.map((s) => s.onApplicationShutdown()));
    await Promise.all(sources.map((s) => s.destroy()));
    schedulers = [];
    sources = [];
  });
  afterAll(() => db.drop());

  async function countJobs(kind: string): Promise<number> {
    return (await one<{ n: number }>(
      sources[0].manager,
      `SELECT count(*)::int AS n FROM scheduled_jobs WHERE kind = $1`,
      [kind],
    ))!.n;
  }

  async function instance(id: string): Promise<DurableScheduler> {
    const source = await createDataSource(db.url, 4).initialize();
    sources.push(source);
    const scheduler = new DurableScheduler(source, { ...loadConfig({}), instanceId: id, timerPollMs: 20 });
    schedulers.push(scheduler);
    return scheduler;
  }

  it('runs each due job exactly once while two instances poll', async () => {
    const runs = new Map<string, string[]>();
    const [a, b] = [await instance('a'), await instance('b')];
    for (const [scheduler, name] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      scheduler.register('test.once', async (job: DueJob<'test.once'>) => {
        runs.set(job.payload.n, [...(runs.get(job.payload.n) ?? []), name]);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      });
    }
    const at = new Date(Date.now() + 200);
    for (let n = 0; n < 200; n++) await a.schedule(sources[0].manager, 'test.once', at, { n: String(n) });
    a.onApplicationBootstrap();
    b.onApplicationBootstrap();
    await waitFor(() => runs.size === 200, { what: '200 jobs run', timeoutMs: 10_000 });
    // every run's completion deletes its row after the handler returns: wait for those, then look for doubles
    await waitFor(async () => (await countJobs('test.once')) === 0, {
      what: 'every job row deleted',
      timeoutMs: 10_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...runs.values()].filter((by) => by.length > 1)).toEqual([]);
    expect(await countJobs('test.once')).toBe(0);
  });

  it('a job whose runner died is taken over when its lease ends', async () => {
    const survivor = await instance('survivor');
    const ran: string[] = [];
    survivor.register('test.takeover', () => {
      ran.push('survivor');
      return Promise.resolve();
    });
    // the dead instance claimed it (lease held) and never finished
    await survivor.schedule(sources[0].manager, 'test.takeover', new Date(), {}, 'k1');
    await sources[0].query(
      `UPDATE scheduled_jobs SET locked_by = 'dead', locked_until = now() + interval '1 second', attempts = 1 WHERE dedupe_key = 'k1'`,
    );
    survivor.onApplicationBootstrap();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran).toEqual([]); // still leased by the dead instance
    await waitFor(() => ran.length === 1, { what: 'takeover after the lease', timeoutMs: 5_000 });
  });

  it('a failing job is retried with backoff, a dedupe key keeps one timer', async () => {
    const scheduler = await instance('retry');
    let attempts = 0;
    scheduler.register('test.retry', () => {
      attempts++;
      return attempts < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve();
    });
    await scheduler.schedule(sources[0].manager, 'test.retry', new Date(), {}, 'same');
    await scheduler.schedule(sources[0].manager, 'test.retry', new Date(), {}, 'same');
    expect(await countJobs('test.retry')).toBe(1);
    scheduler.onApplicationBootstrap();
    await waitFor(() => attempts === 3, { what: 'three attempts (0.5 s, 1 s backoff)', timeoutMs: 8_000 });
    await waitFor(async () => (await countJobs('test.retry')) === 0, {
      what: 'the job deleted after success',
    });
  });

  it('a runner whose lease ran out and whose job was claimed again can neither complete, retry nor apply a fenced effect', async () => {
    const stale = await instance('stale');
    const survivor = await instance('survivor');
    const db = sources[0];
    await db.query(
      `CREATE TABLE fence_effects (job_id bigint NOT NULL, token bigint NOT NULL, by text NOT NULL)`,
    );
    const effect = (source: DataSource, scheduler: DurableScheduler, job: DueJob, by: string) =>
      inTransaction(source, async (tx) => {
        await scheduler.fence(tx, job);
        await tx.query(`INSERT INTO fence_effects (job_id, token, by) VALUES ($1, $2, $3)`, [
          job.id,
          job.claimToken,
          by,
        ]);
      });

    // the stale runner claims three jobs, then stalls (a partition) before acting on them
    const partition = deferred();
    const staleClaims = new Map<string, DueJob>();
    const staleOutcome = new Map<string, string>();
    const staleHandler = async (job: DueJob) => {
      staleClaims.set(job.kind, job);
      await partition.promise;
      try {
        if (job.kind === 'fence.effect') await effect(sources[0], stale, job, 'stale');
        if (job.kind === 'fence.retry') throw new Error('failed after the partition');
        staleOutcome.set(job.kind, 'ran');
      } catch (error) {
        staleOutcome.set(job.kind, error instanceof JobClaimLost ? 'claim lost' : 'threw');
        throw error;
      }
    };
    // the survivor takes each job over, applies its effect, and holds the job while the stale one comes back
    const survivorHolds = deferred();
    const survivorClaims = new Map<string, DueJob>();
    const survivorHandler = async (job: DueJob) => {
      await effect(sources[1], survivor, job, 'survivor');
      survivorClaims.set(job.kind, job);
      await survivorHolds.promise;
    };
    const kinds = ['fence.effect', 'fence.complete', 'fence.retry'] as const;
    for (const kind of kinds) {
      stale.register(kind, staleHandler);
      survivor.register(kind, survivorHandler);
      await stale.schedule(db.manager, kind, new Date(), {}, kind);
    }
    stale.onApplicationBootstrap();
    await waitFor(() => staleClaims.size === 3, { what: 'the stale runner to claim the three jobs' });
    // its leases run out (as 5 s of partition would): the survivor claims the jobs again
    await db.query(`UPDATE scheduled_jobs SET locked_until = now() - interval '1 millisecond'`);
    survivor.onApplicationBootstrap();
    await waitFor(() => survivorClaims.size === 3, { what: 'the survivor to take the three jobs over' });
    for (const kind of kinds)
      expect(BigInt(survivorClaims.get(kind)!.claimToken)).toBeGreaterThan(
        BigInt(staleClaims.get(kind)!.claimToken),
      );

    // the partition heals: the stale runner finishes what it started, with its old tokens
    partition.resolve();
    await stale.onApplicationShutdown(); // waits for its runs, and their completion or retry, to settle
    expect(Object.fromEntries(staleOutcome)).toEqual({
      'fence.effect': 'claim lost',
      'fence.complete': 'ran',
      'fence.retry': 'threw',
    });
    const effects = await rows<{ kind: string; by: string }>(
      db.manager,
      `SELECT j.kind, e.by FROM fence_effects e JOIN scheduled_jobs j ON j.id = e.job_id ORDER BY j.kind`,
    );
    expect(effects).toEqual(
      kinds.map((kind) => ({ kind, by: 'survivor' })).sort((a, b) => a.kind.localeCompare(b.kind)),
    );
    // nothing it did touched the jobs: not deleted, lease not reset, no error written, still the survivor's
    const jobs = await rows<{
      kind: string;
      claim_token: string;
      locked_by: string;
      leased: boolean;
      last_error: string | null;
    }>(
      db.manager,
      `SELECT kind, claim_token::text AS claim_token, locked_by, locked_until > now() AS leased, last_error
       FROM scheduled_jobs ORDER BY kind`,
    );
    expect(jobs).toEqual(
      [...kinds].sort().map((kind) => ({
        kind,
        claim_token: survivorClaims.get(kind)!.claimToken,
        locked_by: 'survivor',
        leased: true,
        last_error: null,
      })),
    );

    // the survivor completes normally
    survivorHolds.resolve();
    await waitFor(
      async () =>
        (await countJobs('fence.effect')) +
          (await countJobs('fence.complete')) +
          (await countJobs('fence.retry')) ===
        0,
      {
        what: 'the survivor to complete the three jobs',
      },
    );
  });

  it('fence extends the lease for an effect outside the database, and refuses once the lease has run out', async () => {
    const runner = await instance('runner');
    const db = sources[0];
    const seen: DueJob[] = [];
    const release = deferred();
    runner.register('fence.hold', async (job) => {
      seen.push(job);
      await release.promise;
    });
    await runner.schedule(db.manager, 'fence.hold', new Date(), {}, 'hold');
    runner.onApplicationBootstrap();
    await waitFor(() => seen.length === 1, { what: 'the claim' });
    const job = seen[0];
    await inTransaction(db, (tx) => runner.fence(tx, job, { holdMs: 30_000 }));
    const lease = await one<{ left: number }>(
      db.manager,
      `SELECT EXTRACT(EPOCH FROM locked_until - now())::float AS left FROM scheduled_jobs WHERE id = $1`,
      [job.id],
    );
    expect(lease!.left).toBeGreaterThan(25);
    await db.query(
      `UPDATE scheduled_jobs SET locked_until = now() - interval '1 millisecond' WHERE id = $1`,
      [job.id],
    );
    await expect(inTransaction(db, (tx) => runner.fence(tx, job))).rejects.toBeInstanceOf(JobClaimLost);
    release.resolve();
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
