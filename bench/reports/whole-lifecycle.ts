/**
 * What writing the contact event history costs Tether's whole lifecycle (issue 17: "writing the events costs under
 * 5% of lifecycle throughput, measured before and after"), in one run, on Tether as `npm start` starts it (its own
 * embedded PostgreSQL; `common/tether-as-shipped.ts`): signed webhook → routing pass → offer over socket.io →
 * accept → telephony callback → complete, driven by the lifecycle part's load generator and auto-answering agents.
 *
 *   - one Tether, one fleet of --history-agents (200) agents connected and available throughout, a warm-up step
 *     (--history-warmup-seconds 5, history on, not counted);
 *   - --history-rounds (6) rounds, each the same fixed-rate step (--history-rate 100 calls/s for --step-seconds 8,
 *     then its drain) twice: history on then off, the next round off then on, and so on; the history is switched
 *     between steps, with the load stopped, by `setEventHistory` as the embedded database's superuser (row triggers
 *     disabled and a rule discarding every INSERT into contact_events, so the hot-path functions' own inserts are
 *     silenced too), and a CHECKPOINT before every step (each step starts with the same full-page-write state);
 *   - per step: done lifecycles/s, webhook→offer p50/p99, the CPU of Tether's process and of PostgreSQL's
 *     processes (the postmaster and its children, with the backends it reaped) from the step's first call to its
 *     last completion, per completed lifecycle, and the WAL bytes per lifecycle;
 *   - per round, cost = CPU per lifecycle with the history / without − 1: below saturation both arms complete the
 *     same fixed rate, so the throughput cost shows as CPU per lifecycle, which on a CPU-bound machine (2 cores,
 *     Tether and PostgreSQL on them) is what the throughput is divided by; medians and spread over the rounds;
 *   - after the warm-up, --history-idle-seconds (5) with no call in flight: Tether's and PostgreSQL's CPU per second
 *     of timers and background work, i.e. how much of each step's CPU per lifecycle is not the lifecycles' (the same
 *     in both arms: it dilutes the cost in %, it does not bias it);
 *   - optionally (--history-ramp-rates 100,200,300,...): a ramp with the history on, then off, each until a step
 *     is not sustained: max sustained lifecycles/s either way (one ramp each: noisier than the rounds);
 *   - 0 lost and 0 double offers in every step (the generator's final drain asks Tether about every call).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { header } from '../common/bench-cli';
import { setEventHistory } from '../common/event-history';
import { CpuMeter } from '../common/proc-stats';
import { fmt, printTable, round } from '../common/stats';
import { startAsShipped } from '../common/tether-as-shipped';
import { createAgents, lineRules } from '../common/tether-processes';
import { AgentFleet } from '../load/agent-fleet';
import { CallLedger } from '../load/call-ledger';
import { CallbackReceiver } from '../load/callback-receiver';
import { LoadRun, LoadTarget, StepResult } from '../load/load-run';
import {
  ArmFigures,
  costPercent,
  HistoryCostSummary,
  RoundCost,
  roundCost,
  summarizeRounds,
  summaryLine,
} from './history-cost';

export interface WholeLifecycleOptions {
  rounds: number;
  rate: number;
  agents: number;
  stepSeconds: number;
  drainSeconds: number;
  warmupSeconds: number;
  /** empty: no ramp */
  rampRates: number[];
  /** 0: no idle measurement */
  idleSeconds: number;
}

/** one step as measured: its figures, and the generator's step (lost and double are final after the last drain) */
interface Arm extends ArmFigures {
  history: 'on' | 'off';
  step: StepResult;
  loadAverage: string;
}

export interface WholeLifecycleRound {
  round: number;
  order: string;
  on: ArmFigures & ArmDetail;
  off: ArmFigures & ArmDetail;
  cost: RoundCost;
}

interface ArmDetail {
  webhookToOfferP50: number | null;
  webhookToOfferP99: number | null;
  sent: number;
  errors: number;
  lost: number;
  doubles: number;
  loadAverage: string;
}

export interface WholeLifecycleResult {
  tether: string;
  settings: WholeLifecycleOptions;
  rounds: WholeLifecycleRound[];
  summary: HistoryCostSummary;
  summaryLine: string;
  ramp?: { on: number; off: number; bestDoneOn: number; bestDoneOff: number; lost: number; doubles: number };
  totals: { sent: number; errors: number; lost: number; doubles: number; zeroLostZeroDouble: boolean };
  loadAverage: { start: string; end: string };
  /**
   * CPU ms per second of Tether and of PostgreSQL with no call in flight (timers, background workers), over
   * --history-idle-seconds after the warm-up: the part of a step's CPU that is not its lifecycles'; at the step's rate
   * it is `perLifecycleAtRate` ms of every lifecycle's figure (in both arms: it dilutes the cost, does not bias it)
   */
  idle?: {
    seconds: number;
    tetherMsPerSecond: number;
    postgresMsPerSecond: number;
    perLifecycleAtRate: number;
  };
}

const loadAverage = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

const detail = (arm: Arm): ArmFigures & ArmDetail => ({
  donePerSecond: arm.donePerSecond,
  completed: arm.completed,
  tetherCpuMs: arm.tetherCpuMs,
  postgresCpuMs: arm.postgresCpuMs,
  cpuMs: arm.cpuMs,
  walBytes: arm.walBytes,
  keptUp: arm.step.sustained,
  webhookToOfferP50: arm.step.latencyMs.webhookToOffer.p50,
  webhookToOfferP99: arm.step.latencyMs.webhookToOffer.p99,
  sent: arm.step.sent,
  errors: arm.step.errors.total,
  lost: arm.step.lost,
  doubles: arm.step.doubleOffers,
  loadAverage: arm.loadAverage,
});

export async function historyCostOnWholeLifecycle(
  options: WholeLifecycleOptions,
): Promise<WholeLifecycleResult> {
  const startLoad = loadAverage();
  let ledger = new CallLedger();
  const receiver = new CallbackReceiver('', () => ledger);
  const callbackUrl = await receiver.listen();
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-history-cost-'));
  // as root, embedded PostgreSQL runs as the postgres user, who must pass through the directory (as npm start makes it)
  chmodSync(dataDir, 0o711);
  try {
    header(
      `the history's cost on Tether's whole lifecycle: Tether as \`npm start\` starts it, ${options.rounds} rounds of ` +
        `${options.rate}/s x ${options.agents} agents for ${options.stepSeconds} s, history on and off (load ${startLoad})`,
    );
    const tether = await startAsShipped({ dataDir, callbackUrl });
    if (!tether.superuserUrl) throw new Error('Tether as shipped did not say where its superuser is');
    receiver.secret = tether.webhookSecret;
    const superuser = new Client({
      connectionString: tether.superuserUrl,
      application_name: 'bench-history-switch',
    });
    superuser.on('error', () => undefined);
    await superuser.connect();
    try {
      const credentials = await createAgents(tether.adminUrl, options.agents, {
        adminToken: tether.adminToken,
      });
      const { offerTimeoutSeconds } = await lineRules(tether.adminUrl, 'sales', tether.adminToken);
      console.log(
        `tether as shipped answered /health ${fmt(tether.startMs / 1000)} s after it was spawned (a first start); ` +
          `${credentials.length} agents created`,
      );
      const fleet = new AgentFleet(
        tether.gatewayUrl,
        credentials,
        () => ledger,
        5,
        offerTimeoutSeconds * 1000,
      );
      await fleet.connect();
      await fleet.goAvailable();
      const target: LoadTarget = {
        name: 'tether as shipped',
        lineUrl: tether.salesUrl,
        pid: tether.process.pid,
        pids: tether.pids,
        postgresPids: tether.postgresPids,
        secret: tether.webhookSecret,
      };
      const tetherPids = tether.pids ?? (() => [tether.process.pid]);
      const walLsn = async (): Promise<bigint> => {
        const { rows } = await superuser.query<{ bytes: string }>(
          `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint AS bytes`,
        );
        return BigInt(rows[0].bytes);
      };
      const switchHistory = async (enabled: boolean): Promise<void> => {
        await setEventHistory((text) => superuser.query(text), enabled);
        await superuser.query('CHECKPOINT');
      };

      try {
        let run = new LoadRun(target, 'history-cost', fleet, offerTimeoutSeconds * 1000);
        ledger = run.ledger;
        /** one measured step: CPU and WAL from its first call to its last completion (the step's drain) */
        const measured = async (history: 'on' | 'off', label: string): Promise<Arm> => {
          await switchHistory(history === 'on');
          const tetherCpu = new CpuMeter(tetherPids);
          const postgresCpu = new CpuMeter(tether.postgresPids);
          const walBefore = await walLsn();
          tetherCpu.start();
          postgresCpu.start();
          const step = await run.step({
            label,
            rate: options.rate,
            durationS: options.stepSeconds,
            drainS: options.drainSeconds,
          });
          const tetherSeconds = tetherCpu.stop().cpuSeconds;
          const postgresSeconds = postgresCpu.stop().cpuSeconds;
          const wal = Number((await walLsn()) - walBefore);
          const per = (value: number): number => (step.completed > 0 ? value / step.completed : NaN);
          return {
            history,
            step,
            loadAverage: loadAverage(),
            donePerSecond: step.achievedRate,
            completed: step.completed,
            tetherCpuMs: round(per(tetherSeconds * 1000), 3),
            postgresCpuMs: round(per(postgresSeconds * 1000), 3),
            cpuMs: round(per((tetherSeconds + postgresSeconds) * 1000), 3),
            walBytes: Math.round(per(wal)),
            // final once finalDrain has asked about every call (lost, double): read again in `detail`
            keptUp: step.sustained,
          };
        };

        if (options.warmupSeconds > 0) {
          await switchHistory(true);
          await run.step({
            label: 'warm-up (on)',
            rate: options.rate,
            durationS: options.warmupSeconds,
            drainS: options.drainSeconds,
          });
        }
        let idle: WholeLifecycleResult['idle'];
        if (options.idleSeconds > 0) {
          await switchHistory(true);
          const tetherCpu = new CpuMeter(tetherPids);
          const postgresCpu = new CpuMeter(tether.postgresPids);
          tetherCpu.start();
          postgresCpu.start();
          await new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000));
          const tetherMsPerSecond = round((tetherCpu.stop().cpuSeconds * 1000) / options.idleSeconds, 1);
          const postgresMsPerSecond = round((postgresCpu.stop().cpuSeconds * 1000) / options.idleSeconds, 1);
          idle = {
            seconds: options.idleSeconds,
            tetherMsPerSecond,
            postgresMsPerSecond,
            perLifecycleAtRate: round((tetherMsPerSecond + postgresMsPerSecond) / options.rate, 2),
          };
          console.log(
            `idle (no call in flight, ${options.idleSeconds} s): Tether ${fmt(tetherMsPerSecond)} ms/s, PostgreSQL ` +
              `${fmt(postgresMsPerSecond)} ms/s: ${fmt(idle.perLifecycleAtRate, 2)} ms of each lifecycle's CPU at ` +
              `${options.rate}/s is not the lifecycle's`,
          );
        }
        const arms: { on: Arm; off: Arm; order: string }[] = [];
        for (let r = 0; r < options.rounds; r++) {
          const order: ('on' | 'off')[] = r % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
          const got: Partial<Record<'on' | 'off', Arm>> = {};
          for (const history of order) got[history] = await measured(history, `r${r + 1} ${history}`);
          const { on, off } = got as Record<'on' | 'off', Arm>;
          arms.push({ on, off, order: order.join('/') });
          console.log(
            `round ${r + 1} (${order.join('/')}): CPU per lifecycle on ${fmt(on.cpuMs, 2)} ms ` +
              `(Tether ${fmt(on.tetherCpuMs, 2)} + PostgreSQL ${fmt(on.postgresCpuMs, 2)}), off ${fmt(off.cpuMs, 2)} ms ` +
              `(${fmt(off.tetherCpuMs, 2)} + ${fmt(off.postgresCpuMs, 2)}): ${fmt(costPercent(on.cpuMs, off.cpuMs))}%; ` +
              `done/s ${fmt(on.donePerSecond)} vs ${fmt(off.donePerSecond)} (load ${loadAverage()})`,
          );
        }
        // lost and double offers are counted once every call has been asked about
        await run.finalDrain(30_000);
        run.close();
        for (const pair of arms) for (const arm of [pair.on, pair.off]) arm.keptUp = arm.step.sustained;
        // the rounds' steps (the warm-up included): 0 lost and 0 double must hold in every one
        const steps = [...run.steps];

        let ramp: WholeLifecycleResult['ramp'];
        if (options.rampRates.length > 0) {
          const rampSteps: StepResult[] = [];
          const best: Record<'on' | 'off', { sustained: number; done: number }> = {
            on: { sustained: 0, done: 0 },
            off: { sustained: 0, done: 0 },
          };
          for (const history of ['on', 'off'] as const) {
            header(`ramp, history ${history}: ${options.rampRates.join(', ')}/s until one is not sustained`);
            await switchHistory(history === 'on');
            run = new LoadRun(
              { ...target, name: `tether as shipped, history ${history}` },
              `history-cost-ramp-${history}`,
              fleet,
              offerTimeoutSeconds * 1000,
              run.callersUsed,
            );
            ledger = run.ledger;
            await run.ramp(options.rampRates, options.stepSeconds, options.drainSeconds);
            await run.finalDrain(30_000);
            run.close();
            rampSteps.push(...run.steps);
            const sustained = run.steps.filter((s) => s.sustained).map((s) => s.targetRate);
            best[history] = {
              sustained: Math.max(0, ...sustained),
              done: Math.max(0, ...run.steps.map((s) => s.achievedRate)),
            };
          }
          ramp = {
            on: best.on.sustained,
            off: best.off.sustained,
            bestDoneOn: best.on.done,
            bestDoneOff: best.off.done,
            lost: rampSteps.reduce((sum, s) => sum + s.lost, 0),
            doubles: rampSteps.reduce((sum, s) => sum + s.doubleOffers, 0),
          };
        }
        const rounds: WholeLifecycleRound[] = arms.map(({ on, off, order }, index) => ({
          round: index + 1,
          order,
          on: detail(on),
          off: detail(off),
          cost: roundCost(on, off),
        }));
        const summary = summarizeRounds(arms);
        const totals = {
          sent: steps.reduce((sum, s) => sum + s.sent, 0),
          errors: steps.reduce((sum, s) => sum + s.errors.total, 0),
          lost: steps.reduce((sum, s) => sum + s.lost, 0),
          doubles: steps.reduce((sum, s) => sum + s.doubleOffers, 0),
          zeroLostZeroDouble: false,
        };
        totals.zeroLostZeroDouble = totals.lost === 0 && totals.doubles === 0;
        printRounds(rounds);
        if (ramp)
          console.log(
            `ramp: max sustained ${ramp.on} lifecycles/s with the history, ${ramp.off} without ` +
              `(best done/s ${fmt(ramp.bestDoneOn)} vs ${fmt(ramp.bestDoneOff)})`,
          );
        console.log(
          `CPU per lifecycle (medians over the rounds): on ${fmt(summary.on.cpuMs, 2)} ms (Tether ` +
            `${fmt(summary.on.tetherCpuMs, 2)}, PostgreSQL ${fmt(summary.on.postgresCpuMs, 2)}), off ` +
            `${fmt(summary.off.cpuMs, 2)} ms (${fmt(summary.off.tetherCpuMs, 2)}, ${fmt(summary.off.postgresCpuMs, 2)}); ` +
            `WAL per lifecycle ${fmt(summary.on.walBytes, 0)} vs ${fmt(summary.off.walBytes, 0)} B`,
        );
        console.log(
          `every step of the rounds: ${totals.sent} calls, ${totals.errors} errors, ${totals.lost} lost, ${totals.doubles} double offers` +
            (totals.zeroLostZeroDouble
              ? ''
              : ' -- NOT 0 lost / 0 double: the figures above are not comparable'),
        );
        const line = summaryLine(summary);
        console.log(line);
        return {
          tether: 'as `npm start` starts it (apps/standalone, one process, its embedded PostgreSQL)',
          settings: options,
          rounds,
          summary,
          summaryLine: line,
          ramp,
          totals,
          loadAverage: { start: startLoad, end: loadAverage() },
          idle,
        };
      } finally {
        fleet.close();
      }
    } finally {
      await superuser.end().catch(() => undefined);
      await tether.process.stop();
    }
  } finally {
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printRounds(rounds: readonly WholeLifecycleRound[]): void {
  const ms = (v: number | null): string => fmt(v, 1);
  printTable([
    [
      'round',
      'history',
      'done/s',
      'webhook->offer p50/p99 ms',
      'Tether ms/lc',
      'PostgreSQL ms/lc',
      'sum ms/lc',
      'WAL B/lc',
      'lost',
      'dbl',
      'kept up',
      'cost (CPU/lc)',
      'load',
    ],
    ...rounds.flatMap((r) =>
      (['on', 'off'] as const).map((history) => {
        const arm = r[history];
        return [
          history === 'on' ? `${r.round} (${r.order})` : '',
          history,
          fmt(arm.donePerSecond),
          `${ms(arm.webhookToOfferP50)} / ${ms(arm.webhookToOfferP99)}`,
          fmt(arm.tetherCpuMs, 2),
          fmt(arm.postgresCpuMs, 2),
          fmt(arm.cpuMs, 2),
          fmt(arm.walBytes, 0),
          String(arm.lost),
          String(arm.doubles),
          arm.keptUp ? 'yes' : 'NO',
          history === 'on' ? `${fmt(r.cost.cpu)}%` : '',
          arm.loadAverage,
        ];
      }),
    ),
  ]);
}
