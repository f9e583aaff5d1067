import { join } from 'node:path';
import { REPO_ROOT } from '../common/bench-cli';
import { startNode, StartedProcess } from '../common/child-process';
import type { SwarmCommand, SwarmReport } from './socket-swarm.worker';

/** One socket-swarm.worker process (a share of the agent sockets), driven over IPC. */
export class Swarm {
  private readonly waiters: ((report: SwarmReport) => void)[] = [];

  private constructor(readonly process: StartedProcess) {
    process.child.on('message', (report: SwarmReport) => this.waiters.shift()?.(report));
  }

  static start(index: number): Swarm {
    return new Swarm(
      startNode(`swarm ${index + 1}`, join(REPO_ROOT, 'dist/bench/agents/socket-swarm.worker.js'), {
        ipc: true,
      }),
    );
  }

  command(command: SwarmCommand): void {
    this.process.child.send(command);
  }

  next<T extends SwarmReport['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<SwarmReport, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.process.label}: no "${type}" report within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push((report) => {
        clearTimeout(timer);
        if (report.type === type) resolve(report as Extract<SwarmReport, { type: T }>);
        else reject(new Error(`${this.process.label}: expected "${type}", got "${report.type}"`));
      });
    });
  }
}

/**
 * A connect storm: `tokens` split over `swarms` load-generator processes, each connecting its share 100 at a time
 * (websocket, `/agents`); the time from the first connect to the last connected. The swarms stay connected until
 * `close()` (the caller measures what it needs while they are).
 */
export async function connectStorm(
  url: string,
  tokens: readonly string[],
  swarms = 4,
): Promise<{
  seconds: number;
  failed: number;
  firstError?: string;
  /** the load generators, still connected: for the caller's own commands (arm, collect) */
  swarms: Swarm[];
  close: () => Promise<void>;
}> {
  const started = Array.from({ length: swarms }, (_, i) => Swarm.start(i));
  const close = async (): Promise<void> => {
    for (const swarm of started) swarm.command({ type: 'close' });
    await Promise.all(started.map((swarm) => swarm.process.stop(5_000)));
  };
  try {
    const from = performance.now();
    const share = Math.ceil(tokens.length / swarms);
    const connected = await Promise.all(
      started.map((swarm, i) => {
        swarm.command({
          type: 'connect',
          url,
          tokens: tokens.slice(i * share, (i + 1) * share),
          concurrency: 100,
        });
        return swarm.next('connected', 300_000);
      }),
    );
    return {
      seconds: (performance.now() - from) / 1000,
      failed: connected.reduce((sum, report) => sum + report.failed, 0),
      firstError: connected.find((r) => r.firstError)?.firstError,
      swarms: started,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
