import { DataSource } from 'typeorm';
import { loadConfig } from '@tether/config';
import { createDataSource, one, runMigrations } from '@tether/persistence';
import { createTestDatabase, TestDatabase, waitFor } from '@tether/testing';
import { DueJob, DurableScheduler } from './durable-scheduler';

/** Durable timers against a real PostgreSQL with the real migrations: once-only across instances, takeover, retry. */
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
      scheduler.register('test.once', async (job: DueJob) => {
        runs.set(job.payload.n as string, [...(runs.get(job.payload.n as string) ?? []), name]);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      });
    }
    const at = new Date(Date.now() + 200);
    for (let n = 0; n < 200; n++) await a.schedule(sources[0].manager, 'test.once', at, { n: String(n) });
    a.onApplicationBootstrap();
    b.onApplicationBootstrap();
    await waitFor(() => runs.size === 200, { what: '200 jobs run', timeoutMs: 10_000 });
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
});
