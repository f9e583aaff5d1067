import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT, sleep } from './bench-cli';

export interface StartedProcess {
  label: string;
  child: ChildProcess;
  pid: number;
  /** the last lines the process wrote (stdout and stderr), for error messages */
  output(): string;
  /** SIGTERM (graceful: a --cpu-prof profile is written on the way out), SIGKILL after graceMs */
  stop(graceMs?: number): Promise<void>;
}

const KEEP_CHARS = 20_000;
const started = new Set<StartedProcess>();

/** Stops every process this benchmark started that is still running (on the way out, also after a failure). */
export async function stopAllStarted(): Promise<void> {
  await Promise.all([...started].map((process) => process.stop(5_000)));
}

/** Starts `node <script>` from the repository root; its output is kept (tail) rather than shown. */
export function startNode(
  label: string,
  script: string,
  options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; args?: string[]; ipc?: boolean } = {},
): StartedProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: options.env ?? process.env,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-KEEP_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (child.pid === undefined) throw new Error(`${label}: could not start ${script}`);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const handle: StartedProcess = {
    label,
    child,
    pid: child.pid,
    output: () => tail,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  started.add(handle);
  void exited.then(() => started.delete(handle));
  return handle;
}

export function isRunning(started: StartedProcess): boolean {
  return started.child.exitCode === null && started.child.signalCode === null;
}

/** Polls `url` until it answers 2xx; fails early (with the process's output) if the process exits. */
export async function waitHealthy(started: StartedProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(started))
      throw new Error(`${started.label} exited before it was healthy:\n${started.output()}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${started.label} was not healthy at ${url} within ${timeoutMs} ms:\n${started.output()}`);
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
