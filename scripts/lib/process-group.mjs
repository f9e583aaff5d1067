/**
 * The lifecycle the repository's runner scripts share (run-tests.mjs, run-bench.mjs, start-cluster.mjs): steps run as child process
 * groups, things to undo are stacked as cleanups, and a signal or a failure stops the running step, tears the stack
 * down newest first and exits with the step's (or the signal's) code. Nothing is left running.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Shared mutable state: the cleanup stack, the step running now, and whether we are stopping. */
export const lifecycle = {
  /** Things to undo, newest last. Each must be safe to call once, from any state. */
  cleanups: [],
  /** The step's child (its process group) while one runs, so a signal can stop it. */
  running: undefined,
  /** Set as soon as we start to stop (a signal, a failure): from then on only teardown runs. */
  shuttingDown: false,
  finishing: false,
};

export const header = (text) => console.log(`\n== ${text}`);
export const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)}s`;
export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function teardown() {
  while (lifecycle.cleanups.length > 0) {
    const cleanup = lifecycle.cleanups.pop();
    try {
      await cleanup();
    } catch (error) {
      console.error(`teardown: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Tears everything down and exits; later calls wait forever (the first one owns the exit). */
export async function finish(code) {
  if (lifecycle.finishing) return new Promise(() => {});
  lifecycle.finishing = true;
  lifecycle.shuttingDown = true;
  await teardown();
  process.exit(code);
}

/**
 * Signals stop the running step's group (SIGTERM, SIGKILL after `killGraceMs`), then tear down and exit with the
 * signal's code (128 + n), or `exitCode` when given (a server stopped by Ctrl-C stopped as asked: 0).
 */
export function installSignalHandlers(killGraceMs, { exitCode } = {}) {
  for (const signal of Object.keys(SIGNAL_EXIT)) {
    process.on(signal, () => {
      if (lifecycle.shuttingDown) return;
      lifecycle.shuttingDown = true;
      const child = lifecycle.running;
      console.error(`\n== ${signal}: stopping${child ? ` ${child.label}` : ''} and tearing services down`);
      void (async () => {
        if (child) await killGroup(child.process, 'SIGTERM', killGraceMs);
        await finish(exitCode ?? SIGNAL_EXIT[signal]);
      })();
    });
  }
  process.on('uncaughtException', (error) => {
    console.error(error);
    void finish(1);
  });
  process.on('unhandledRejection', (error) => {
    console.error(error);
    void finish(1);
  });
}

export function isAlive(child) {
  return child.exitCode === null && child.signalCode === null;
}

export function exited(child) {
  return new Promise((done) => {
    if (!isAlive(child)) done();
    else child.once('exit', () => done());
  });
}

/** Signals the child's whole process group, then SIGKILLs it if it is still there after `graceMs`. */
export async function killGroup(child, signal, graceMs) {
  if (!isAlive(child)) return;
  const send = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  send(signal);
  const timer = setTimeout(() => send('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
  // The group leader is gone; make sure nothing it started outlives it.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* no such group: all gone */
  }
}

/**
 * Runs a step in its own process group with inherited output; resolves to its exit code. With `raiseFileLimit`
 * the open-files limit is raised to the hard limit first (benchmarks hold thousands of sockets).
 */
export function runStep(label, command, args, { cwd, env = process.env, raiseFileLimit = false } = {}) {
  return new Promise((done) => {
    const [file, argv] = raiseFileLimit
      ? ['sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', command, ...args]]
      : [command, args];
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    lifecycle.running = { label, process: child };
    child.once('error', (error) => {
      console.error(`${label}: could not start ${command}: ${error.message}`);
      lifecycle.running = undefined;
      done(127);
    });
    child.once('exit', (code, signal) => {
      lifecycle.running = undefined;
      // a step that failed half-way may leave what it started in its group: stop those too
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* nothing left */
      }
      done(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

export function forget(cleanup) {
  const index = lifecycle.cleanups.indexOf(cleanup);
  if (index >= 0) lifecycle.cleanups.splice(index, 1);
}

/** While services start, a signal may already be tearing down: then stop quietly instead of retrying. */
export function bailIfStopping() {
  if (lifecycle.shuttingDown) return new Promise(() => {});
}

export function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  lifecycle.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
