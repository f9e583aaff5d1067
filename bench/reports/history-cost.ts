/**
 * The arithmetic of the whole-lifecycle history cost (`whole-lifecycle.ts`): each round runs the same fixed-rate
 * step twice, the history on and off, and the cost is read per round (on against the off of the same round, so a
 * neighbour's load that moves both arms of a round cancels out), then summarised over the rounds.
 */
import { median, round } from '../common/stats';

/** one step's figures, history on or off */
export interface ArmFigures {
  /** completed lifecycles per second over the step (its sending window, or to its last completion if later) */
  donePerSecond: number;
  completed: number;
  /** Tether's process(es), PostgreSQL's processes and their sum: CPU ms per completed lifecycle */
  tetherCpuMs: number;
  postgresCpuMs: number;
  cpuMs: number;
  /** WAL bytes per completed lifecycle (pg_current_wal_insert_lsn before and after the step) */
  walBytes: number;
  /**
   * the step kept up with its rate (the generator's `sustained`: done/s >= 95% of it, no error, none lost or
   * doubled): a step that fell behind spends CPU on its backlog (bigger queue snapshots, longer passes), so its CPU
   * per lifecycle is not the lifecycle's alone
   */
  keptUp: boolean;
}

/** percent: on / off − 1 (positive: the history costs that much more) */
export const costPercent = (on: number, off: number): number | null =>
  Number.isFinite(on) && Number.isFinite(off) && off > 0 ? round((on / off - 1) * 100, 1) : null;

export interface RoundCost {
  /** CPU per lifecycle, Tether + PostgreSQL: on / off − 1, in % (the throughput cost on a CPU-bound machine) */
  cpu: number | null;
  tether: number | null;
  postgres: number | null;
  wal: number | null;
  /** done/s: on / off − 1, in % (near 0 below saturation: the rate is fixed) */
  done: number | null;
}

export function roundCost(on: ArmFigures, off: ArmFigures): RoundCost {
  return {
    cpu: costPercent(on.cpuMs, off.cpuMs),
    tether: costPercent(on.tetherCpuMs, off.tetherCpuMs),
    postgres: costPercent(on.postgresCpuMs, off.postgresCpuMs),
    wal: costPercent(on.walBytes, off.walBytes),
    done: costPercent(on.donePerSecond, off.donePerSecond),
  };
}

export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
}

export function spreadOf(values: readonly (number | null)[], digits = 1): Spread {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (known.length === 0) return { median: null, min: null, max: null };
  return {
    median: round(median(known), digits),
    min: Math.min(...known),
    max: Math.max(...known),
  };
}

export interface HistoryCostSummary {
  rounds: number;
  /** rounds whose two steps both kept up with the rate: the rounds whose cost reads cleanly */
  roundsKeptUp: number;
  /** per-round costs (%), their median and spread */
  cost: Record<keyof RoundCost, Spread>;
  /** the medians over the rounds of each arm's figures */
  on: ArmFigures;
  off: ArmFigures;
}

export function summarizeRounds(rounds: readonly { on: ArmFigures; off: ArmFigures }[]): HistoryCostSummary {
  const costs = rounds.map(({ on, off }) => roundCost(on, off));
  const keys: (keyof RoundCost)[] = ['cpu', 'tether', 'postgres', 'wal', 'done'];
  const cost = Object.fromEntries(keys.map((key) => [key, spreadOf(costs.map((c) => c[key]))])) as Record<
    keyof RoundCost,
    Spread
  >;
  const medianArm = (arms: ArmFigures[]): ArmFigures => ({
    donePerSecond: round(median(arms.map((a) => a.donePerSecond)), 1),
    completed: median(arms.map((a) => a.completed)),
    tetherCpuMs: round(median(arms.map((a) => a.tetherCpuMs)), 3),
    postgresCpuMs: round(median(arms.map((a) => a.postgresCpuMs)), 3),
    cpuMs: round(median(arms.map((a) => a.cpuMs)), 3),
    walBytes: Math.round(median(arms.map((a) => a.walBytes))),
    keptUp: arms.every((a) => a.keptUp),
  });
  return {
    rounds: rounds.length,
    roundsKeptUp: rounds.filter(({ on, off }) => on.keptUp && off.keptUp).length,
    cost,
    on: medianArm(rounds.map((r) => r.on)),
    off: medianArm(rounds.map((r) => r.off)),
  };
}

const signed = (value: number | null): string =>
  value === null ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`;

/** the one line a reader looks for */
export function summaryLine(summary: HistoryCostSummary): string {
  const { cost, on, off, rounds, roundsKeptUp } = summary;
  return (
    `the history's cost on Tether's whole lifecycle: median ${signed(cost.cpu.median)} CPU per lifecycle ` +
    `(from ${signed(cost.cpu.min)} to ${signed(cost.cpu.max)} over ${rounds} rounds; Tether ${signed(cost.tether.median)}, ` +
    `PostgreSQL ${signed(cost.postgres.median)}, WAL ${signed(cost.wal.median)}), ` +
    `done/s on ${on.donePerSecond.toFixed(1)} vs off ${off.donePerSecond.toFixed(1)}; both steps kept up with the ` +
    `rate in ${roundsKeptUp} of ${rounds} rounds` +
    (roundsKeptUp < rounds ? ' (a step that fell behind also spent CPU on its backlog: read with care)' : '')
  );
}
