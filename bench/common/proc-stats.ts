import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * CPU and memory of processes on this machine, read from /proc (Linux). CPU is reported as percent of one core
 * (200% = both cores of a 2-core machine), the way `top` does.
 */
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux build these benchmarks target
const PAGE_SIZE = 4096;

/**
 * CPU of a process in clock ticks, with that of its children it has reaped (so a PostgreSQL postmaster carries the
 * time of backends that exited, e.g. pgbench's), or undefined once it is gone.
 */
export function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: fields after it start past the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return undefined;
  }
}

export function rssBytes(pid: number): number | undefined {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(statm[1]) * PAGE_SIZE;
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const match = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A PostgreSQL server's processes (the postmaster and its backends and workers), found from the pid of one
 * backend (`SELECT pg_backend_pid()`): other PostgreSQL servers on the machine are not counted.
 */
export function postgresProcesses(backendPid: number): () => number[] {
  const postmaster = parentOf(backendPid);
  if (postmaster === undefined) return () => [];
  return postmasterProcesses(postmaster);
}

/** A PostgreSQL server's processes from its postmaster's pid (first line of `<data>/postmaster.pid`). */
export function postmasterProcesses(postmaster: number): () => number[] {
  return () => {
    const pids = [postmaster];
    for (const entry of readdirSync('/proc')) {
      if (/^\d+$/.test(entry) && parentOf(Number(entry)) === postmaster) pids.push(Number(entry));
    }
    return pids;
  };
}

/**
 * A process and its children whose command name is `name` (e.g. `node`: a cluster script and the app instances it
 * spawned, not the Redis it also started), read afresh on every call (instances may be restarted).
 */
export function processTree(root: number, name: string): () => number[] {
  return () => {
    const pids = [root];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || parentOf(Number(entry)) !== root) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return pids;
  };
}

function machineTicks(): { busy: number; total: number } {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const values = cpu.trim().split(/\s+/).slice(1).map(Number);
  const idle = values[3] + (values[4] ?? 0); // idle + iowait
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

export interface CpuReading {
  /** percent of one core over the window */
  cpuPercent: number;
}

/** CPU used by a set of processes between start() and stop(); the set is re-read at both ends (backends come and go). */
export class CpuMeter {
  private startedAt = 0;
  private readonly before = new Map<number, number>();

  constructor(private readonly pids: () => number[]) {}

  start(): void {
    this.before.clear();
    for (const pid of this.pids()) {
      const ticks = processTicks(pid);
      if (ticks !== undefined) this.before.set(pid, ticks);
    }
    this.startedAt = performance.now();
  }

  /** also the CPU seconds themselves (`cpuSeconds`, 10 ms resolution), for figures per unit of work */
  stop(): CpuReading & { cpuSeconds: number } {
    const seconds = (performance.now() - this.startedAt) / 1000;
    let ticks = 0;
    // a process that exited in the window counts -before here: its parent's reaped-children time has all of it
    for (const pid of new Set([...this.pids(), ...this.before.keys()])) {
      ticks += (processTicks(pid) ?? 0) - (this.before.get(pid) ?? 0);
    }
    return {
      cpuPercent: Math.round((ticks / CLOCK_TICKS_PER_SECOND / seconds) * 100),
      cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
    };
  }
}

/** Whole-machine CPU use over a window, in percent of one core (so up to 100 x cores). */
export class MachineCpuMeter {
  private before = machineTicks();
  private readonly cores = Math.max(1, cpus().length);

  start(): void {
    this.before = machineTicks();
  }

  stop(): CpuReading {
    const now = machineTicks();
    const share = (now.busy - this.before.busy) / Math.max(1, now.total - this.before.total);
    return { cpuPercent: Math.round(share * 100 * this.cores) };
  }
}

/** The largest RSS of one process seen while sampling (every 200 ms) between start() and stop(). */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  private peak = 0;

  constructor(private readonly pid: number) {}

  start(): void {
    this.peak = rssBytes(this.pid) ?? 0;
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, rssBytes(this.pid) ?? 0);
    }, 200);
    this.timer.unref();
  }

  stop(): { rssMb: number; peakRssMb: number } {
    if (this.timer) clearInterval(this.timer);
    const now = rssBytes(this.pid) ?? 0;
    this.peak = Math.max(this.peak, now);
    return { rssMb: Math.round(now / 1048576), peakRssMb: Math.round(this.peak / 1048576) };
  }
}
