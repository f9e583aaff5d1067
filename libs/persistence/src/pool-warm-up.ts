import type { DataSource, EntityManager } from 'typeorm';

/**
 * Opens `size` connections of the data source's pool at once (each one taken while the others are held, so the pool
 * has to open them all) and runs `work` on each inside a transaction that is rolled back: whatever `work` writes
 * is never seen, while what a session keeps survives the rollback (the connection itself, its catalog caches,
 * PL/pgSQL functions compiled and their statements planned). So the first requests after a start find the pool
 * open and the hot statements ready, instead of paying a connection (and a SCRAM handshake) and each function's
 * first run while the traffic waits.
 */
export async function warmPool(
  dataSource: DataSource,
  size: number,
  work: (tx: EntityManager) => Promise<void>,
): Promise<void> {
  const runners = await Promise.all(
    Array.from({ length: size }, async () => {
      const runner = dataSource.createQueryRunner();
      await runner.connect();
      return runner;
    }),
  );
  // every connection's work settles (and is rolled back) before any is released, whether or not one failed
  const outcomes = await Promise.allSettled(
    runners.map(async (runner) => {
      await runner.startTransaction();
      try {
        await work(runner.manager);
      } finally {
        await runner.rollbackTransaction();
      }
    }),
  );
  await Promise.all(runners.map((runner) => runner.release()));
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
