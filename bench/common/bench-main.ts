import { stopAllStarted } from './child-process';

/**
 * A benchmark's entry point: runs main, stops whatever child processes it started (also when it failed), and
 * exits (socket.io clients and keep-alive agents would otherwise hold the process open).
 */
export function runBench(main: () => Promise<void>): void {
  main().then(
    async () => {
      await stopAllStarted();
      process.exit(0);
    },
    async (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      await stopAllStarted().catch(() => undefined);
      process.exit(1);
    },
  );
}
