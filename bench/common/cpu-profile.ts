import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT } from './bench-cli';
import { fmt, printTable, round } from './stats';

/** The parts of a V8 .cpuprofile (written by `node --cpu-prof`) this summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** percent of the busy (non-idle) samples in the window */
  selfPercent: number;
}

export interface ProfileSummary {
  windowSeconds: number;
  busyMs: number;
  /** busy time / window: how much of one core the process used */
  busyPercentOfCore: number;
  topFunctions: ProfileEntry[];
  byArea: ProfileEntry[];
  /**
   * Who calls the costliest functions that are not our code (writev and the like): for each, its self time split by
   * the nearest calling frame that belongs to a package or to Tether, so native time is charged to a cause.
   */
  callers: { function: string; via: ProfileEntry[] }[];
}

/** What code a frame belongs to: a package, a Tether lib/app, Node's internals, or V8's own (GC, idle). */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  const ours = /dist\/((?:libs|apps)\/[^/]+)/.exec(path);
  if (ours) return `tether ${ours[1]}`;
  return relative(REPO_ROOT, path);
}

function frameName(callFrame: CpuProfile['nodes'][number]['callFrame']): string {
  const fn = callFrame.functionName || '(anonymous)';
  if (!callFrame.url) return fn;
  const path = callFrame.url.replace(/^file:\/\//, '');
  const short = path.includes('node_modules/')
    ? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
    : path.startsWith('node:')
      ? path
      : relative(REPO_ROOT, path);
  return `${fn} ${short}:${callFrame.lineNumber + 1}`;
}

/**
 * Self time per function and per area, from the samples taken inside [fromUs, toUs] (CLOCK_MONOTONIC
 * microseconds, the clock of both V8's profile timestamps and process.hrtime, so another process can name the
 * window). `(idle)` is time the event loop waited, so percentages are of the busy samples.
 */
export function summarizeCpuProfile(
  file: string,
  window?: { fromUs: number; toUs: number },
  top = 20,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  /** the nearest ancestor frame in a package or in Tether (not node:*, not V8 builtins) */
  const causeOf = (id: number): string => {
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const area = areaOf(frame.url, frame.functionName);
      if (!area.startsWith('node:') && !area.startsWith('(')) return area;
    }
    return '(no package on the stack)';
  };
  const samplesByNode = new Map<number, number>();
  const selfByFunction = new Map<string, number>();
  const selfByArea = new Map<string, number>();
  let at = profile.startTime;
  let busyUs = 0;
  const from = window?.fromUs ?? profile.startTime;
  const to = window?.toUs ?? profile.endTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    // a sample's time is the interval that ends at the next sample
    const duration = profile.timeDeltas[i + 1] ?? 0;
    if (at < from || at > to || duration <= 0) continue;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') continue;
    busyUs += duration;
    samplesByNode.set(node.id, (samplesByNode.get(node.id) ?? 0) + duration);
    const name = frameName(node.callFrame);
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + duration);
    const area = areaOf(url, functionName);
    selfByArea.set(area, (selfByArea.get(area) ?? 0) + duration);
  }
  const entries = (map: Map<string, number>): ProfileEntry[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        selfMs: round(us / 1000, 0),
        selfPercent: round((us / Math.max(1, busyUs)) * 100, 1),
      }));
  const windowUs = Math.max(1, Math.min(to, profile.endTime) - Math.max(from, profile.startTime));
  const topForeign = entries(selfByFunction)
    .filter((entry) => !entry.name.startsWith('(') && !/ dist\//.test(entry.name))
    .slice(0, 3);
  const callers = topForeign.map((entry) => {
    const via = new Map<string, number>();
    let total = 0;
    for (const [id, us] of samplesByNode) {
      if (frameName(byId.get(id)!.callFrame) !== entry.name) continue;
      const cause = causeOf(id);
      via.set(cause, (via.get(cause) ?? 0) + us);
      total += us;
    }
    return {
      function: entry.name,
      via: [...via.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([name, us]) => ({
          name,
          selfMs: round(us / 1000, 0),
          selfPercent: round((us / Math.max(1, total)) * 100, 1),
        })),
    };
  });
  return {
    windowSeconds: round(windowUs / 1e6, 1),
    busyMs: round(busyUs / 1000, 0),
    busyPercentOfCore: round((busyUs / windowUs) * 100, 0),
    topFunctions: entries(selfByFunction),
    byArea: entries(selfByArea),
    callers,
  };
}

/** CLOCK_MONOTONIC now in microseconds (comparable with V8 profile timestamps of any process on this machine). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Prints a profile summary: self time by area, the costliest functions, and who calls the costliest native ones. */
export function printProfile(what: string, profile: ProfileSummary): void {
  console.log(
    `\nCPU profile of ${what} (${profile.windowSeconds} s, busy ${profile.busyPercentOfCore}% of one core); self time:`,
  );
  printTable([
    ['area', 'self ms', '% busy'],
    ...profile.byArea.slice(0, 12).map((e) => [e.name, fmt(e.selfMs, 0), fmt(e.selfPercent)]),
  ]);
  printTable([
    ['function', 'self ms', '% busy'],
    ...profile.topFunctions.slice(0, 20).map((e) => [e.name, fmt(e.selfMs, 0), fmt(e.selfPercent)]),
  ]);
  for (const { function: name, via } of profile.callers)
    console.log(
      `  ${name} is called from: ${via.map((v) => `${v.name} ${fmt(v.selfPercent, 0)}%`).join(', ')}`,
    );
}
