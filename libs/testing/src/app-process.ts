import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { e2eChildren } from './e2e-globals';

/**
 * How long a test waits for a started system's /health: a start takes seconds, but on a 2-core machine loaded by other
 * suites (warm-up included) it has taken over 30 s; test/support/e2e-setup.ts keeps jest's hook timeout above this.
 */
export const START_TIMEOUT_MS = 60_000;

/** Output kept per process; a runaway logger must not eat the test runner's memory. */
const MAX_OUTPUT_CHARS = 1_000_000;

export interface SpawnAppOptions {
  /** names the process in logs and errors ("gateway#2") */
  label: string;
  /** the entry script relative to the repository root, e.g. `dist/apps/admin/src/main.js`, or an absolute path */
  script: string;
  /** the child's whole environment beyond PATH/HOME/locale: nothing else of the test runner's leaks in */
  env: Record<string, string>;
  /** the working directory (default: the repository root); a relative `script` is resolved against it */
  cwd?: string;
  /** run as this user instead of the test runner's (needs root; supplementary groups are dropped) */
  user?: { uid: number; gid: number };
  /** command-line arguments after the script (a CLI's flags) */
  args?: readonly string[];
}

export interface StartAppOptions extends SpawnAppOptions {
  /** every one must answer 200 before the process counts as started */
  healthUrls: readonly string[];
  startTimeoutMs?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One built Tether entry point running as a child process, the way it runs in production: its own env, its own
 * ports, stdout/stderr captured for the failure report.
 */
export class AppProcess {
  readonly exited: Promise<ProcessExit>;
  private out = '';
  private err = '';
  private combined = '';

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.capture('out', chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.capture('err', chunk));
    const pid = child.pid;
    if (pid !== undefined) e2eChildren()[pid] = label;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (pid !== undefined) delete e2eChildren()[pid];
        resolve({ code, signal });
      });
    });
  }

  /** Starts the process and returns at once (for tests that expect it to exit, e.g. on bad configuration). */
  static spawn(options: SpawnAppOptions): AppProcess {
    const root = options.cwd ?? repoRoot();
    const script = resolve(root, options.script);
    if (!existsSync(script)) throw new Error(`${script} does not exist: run \`npm run build\` first`);
    const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
      cwd: root,
      env: { ...baseEnv(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    return new AppProcess(options.label, child);
  }

  /**
   * Starts the process and resolves once every health URL answers 200. On a timeout or an early exit the process
   * is stopped and the error carries its output, since that is where the reason is.
   */
  static async start(options: StartAppOptions): Promise<AppProcess> {
    const app = AppProcess.spawn(options);
    try {
      await app.waitHealthy(options.healthUrls, options.startTimeoutMs ?? START_TIMEOUT_MS);
      return app;
    } catch (error) {
      await app.stop();
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${options.label} did not start: ${reason}\n--- output of ${options.label} ---\n${app.logs()}`,
      );
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  stdout(): string {
    return this.out;
  }

  stderr(): string {
    return this.err;
  }

  /** stdout and stderr interleaved as they arrived */
  logs(): string {
    return this.combined;
  }

  /**
   * Ends the process abruptly and resolves once it is gone: SIGKILL by default, as `kill -9` (no shutdown hook
   * runs, sockets and database sessions are cut, leases it held stay until they run out). Safe to call twice.
   */
  async kill(signal: 'SIGKILL' | 'SIGTERM' | 'SIGINT' = 'SIGKILL'): Promise<ProcessExit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /**
   * Freezes the process (SIGSTOP), as a long GC pause or a stalled VM would: it keeps its sockets and database
   * sessions but does nothing until `resume()` (SIGCONT). A fault test can freeze a process at a chosen moment,
   * look at what it holds, and then `kill()` it or let it go on.
   */
  pause(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  /** SIGINT (the apps close cleanly on it), SIGKILL if still there after `graceMs`. Safe to call twice. */
  async stop(graceMs = 10_000): Promise<ProcessExit> {
    if (this.running) {
      this.child.kill('SIGCONT'); // a paused process would not act on SIGINT
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }

  private async waitHealthy(urls: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(urls);
    let lastProblem = 'no answer yet';
    while (pending.size > 0) {
      if (!this.running) {
        const { code, signal } = await this.exited;
        throw new Error(
          `exited (code ${code}, signal ${signal}) before ${[...pending].join(', ')} answered 200`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${[...pending].join(', ')} (${lastProblem})`,
        );
      }
      for (const url of [...pending]) {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
          await response.arrayBuffer();
          if (response.status === 200) pending.delete(url);
          else lastProblem = `${url} answered ${response.status}`;
        } catch (error) {
          lastProblem = `${url}: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private capture(stream: 'out' | 'err', chunk: string): void {
    if (stream === 'out') this.out = cap(this.out + chunk);
    else this.err = cap(this.err + chunk);
    this.combined = cap(this.combined + chunk);
  }
}

function cap(text: string): string {
  return text.length > MAX_OUTPUT_CHARS ? text.slice(text.length - MAX_OUTPUT_CHARS) : text;
}

/** What a process needs from the outside world to run node; everything Tether-specific is passed explicitly. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The directory holding package.json: from libs/testing/src (jest) or dist/libs/testing/src (compiled). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
