import { mapConcurrent, sleep } from '../common/bench-cli';
import { CpuMeter, MachineCpuMeter, RssSampler } from '../common/proc-stats';
import { fmt, LatencySummary, round, summarize } from '../common/stats';
import { CallLedger, CallRecord, doubleOffered, OfferSeen, owed, settled } from './call-ledger';
import type { FleetCounters } from './agent-fleet';
import { openLoop, WebhookClient } from './webhook-client';

/** What is being driven: Tether, or the bare-transport floor that speaks the same wire protocol. */
export interface LoadTarget {
  name: string;
  lineUrl: string;
  /** the process whose CPU and RSS are reported */
  pid: number;
  /** the PostgreSQL server's processes, when the target uses one */
  postgresPids?: () => number[];
  /** every process of the target whose CPU is reported, when it is more than `pid` (a cluster: its instances) */
  pids?: () => number[];
  secret: string;
}

export interface StepResult {
  label: string;
  agents: number;
  targetRate: number;
  /** webhooks actually sent per second of the sending window */
  offeredRate: number;
  sent: number;
  /** lifecycles completed (contact:complete acknowledged) per second, from the step's start to its last completion */
  achievedRate: number;
  completed: number;
  errors: {
    webhook: number;
    accept: number;
    complete: number;
    callbackMissing: number;
    callbackBadSignature: number;
    total: number;
  };
  /**
   * 2xx webhook but never offered, counted after the whole run and its final drain, and not still waiting in the
   * server's queue (asked with GET /v1/telephony/calls/{callId}): the server says offered/connected/ended, or does
   * not know the call
   */
  lost: number;
  /** 2xx, never offered, and still queued when the final drain ended: a backlog the server had not worked off */
  stillQueued: number;
  /** 2xx but not offered when the step's drain ended (lost or backlog: finalDrain tells which) */
  unofferedAfterDrain: number;
  /** a contact offered again while an earlier offer of it was live */
  doubleOffers: number;
  /** webhooks answered 503 (an admission limit, `Retry-After`): refused, not accepted; counted in errors.webhook */
  refused: number;
  /** offers that reached the agent after their `offer:revoked` or after their expiresAt: delivered too late to take */
  staleOffers: number;
  /** owed but neither completed nor failed when the step's drain ended (a backlog, not yet a loss) */
  unsettledAfterDrain: number;
  duplicateCallbacks: number;
  latencyMs: {
    webhook: LatencySummary;
    webhookToOffer: LatencySummary;
    /**
     * from when the server started making the offer to its arrival: for Tether the start of the transaction of the
     * routing pass that made it (PostgreSQL's now(), taken before the pass waits for the line's advisory lock, so it
     * can exceed webhook->offer when the pass was already waiting when the call came in); for the floor, the emit
     */
    passToOffer: LatencySummary;
    acceptToCallback: LatencySummary;
    webhookToComplete: LatencySummary;
  };
  /**
   * percent of one core over the sending window: the target, PostgreSQL, this load generator, the whole machine,
   * and `other` = machine minus those three (anything else running on the machine: noise to read figures by)
   */
  cpuPercent: { target: number; postgres: number; loadGenerator: number; machine: number; other: number };
  rssMb: { target: number; targetPeak: number };
  /** p99 of how late the generator sent requests (ms): large values mean the generator, not the target, lagged */
  generatorLagP99Ms: number;
  queueEventsPerSecond: number;
  /** KB/s of `queue` snapshots the agents received */
  queueKbPerSecond: number;
  /** the distinct error messages of the step, with how many calls had each */
  errorMessages: { message: string; calls: number }[];
  drainSeconds: number;
  /** no errors, nothing lost or doubled, and completions kept up with the offered rate (>= 95%) */
  sustained: boolean;
}

export interface StepOptions {
  label?: string;
  rate: number;
  durationS: number;
  drainS: number;
}

export interface WindowOptions {
  rate: number;
  /** seconds of sending per window */
  windowS: number;
  windows: number;
  /** how long a window's calls may take to settle after its sending ended (the next window sends meanwhile) */
  drainS: number;
  label: (window: number) => string;
}

/** A step whose calls have all been sent, with what was metered while they were: the step before its drain. */
interface SentStep {
  step: number;
  options: StepOptions;
  stepStart: number;
  sendSeconds: number;
  lags: number[];
  cpuPercent: StepResult['cpuPercent'];
  rssMb: StepResult['rssMb'];
  badSignaturesBefore: number;
  /** the counter when the next window began sending (windows only); else counted until the step is measured */
  badSignaturesUntil?: number;
  queueEventsPerSecond: number;
  queueKbPerSecond: number;
}

/** The rates (calls/s) a ramp steps through by default: fine at the bottom, where a struggling target lives. */
export const DEFAULT_RATES = [25, 50, 75, 100, 150, 200, 300, 500, 700, 1000, 1400, 2000];

const IVR = { intent: 'billing', digits: '2', language: 'en' };

/**
 * Drives one target with signed webhooks at fixed open-loop rates while an AgentFleet works the offers, and turns
 * the ledger into per-step figures. Each step is drained (every call of the step completed, or the drain time
 * out) before the next one starts, so a step's figures are its own.
 */
export class LoadRun {
  readonly ledger = new CallLedger();
  readonly steps: StepResult[] = [];
  private readonly client: WebhookClient;
  private stepIndex = 0;
  private phoneSeq: number;
  /** how many caller numbers this run used (the next run on the same server starts after them) */
  get callersUsed(): number {
    return this.phoneSeq;
  }

  constructor(
    private readonly target: LoadTarget,
    private readonly tag: string,
    private readonly fleet: { size: number; counters: FleetCounters },
    /** the line's offer timeout, to tell offers that arrived after their expiry */
    private readonly offerTimeoutMs = 20_000,
    /**
     * the first caller number's sequence: a second run on the same server starts past the first's callers, so its
     * calls are first-time callers too (a known number would be routed sticky to the agent it last spoke to)
     */
    firstCaller = 0,
  ) {
    this.phoneSeq = firstCaller;
    this.client = new WebhookClient(target.lineUrl, target.secret);
  }

  close(): void {
    this.client.close();
  }

  /** Steps at increasing rates; stops after the first step that is not sustained. */
  async ramp(rates: readonly number[], durationS: number, drainS: number): Promise<StepResult[]> {
    const done: StepResult[] = [];
    for (const rate of rates) {
      const result = await this.step({ rate, durationS, drainS });
      done.push(result);
      if (!result.sustained) break;
    }
    return done;
  }

  async step(options: StepOptions): Promise<StepResult> {
    return this.settle(await this.sendStep(options));
  }

  /**
   * Back-to-back windows at one constant rate (a soak): window k+1 starts sending the moment window k's sending
   * ends, and window k is drained and measured meanwhile, so the load never pauses and each window's figures are
   * still its own calls'. Results come in window order.
   */
  async windows(options: WindowOptions): Promise<StepResult[]> {
    const results: StepResult[] = [];
    let measuring = Promise.resolve();
    for (let i = 0; i < options.windows; i++) {
      const sent = await this.sendStep({
        label: options.label(i),
        rate: options.rate,
        durationS: options.windowS,
        drainS: options.drainS,
      });
      // bad callback signatures seen while the next window sends are the next window's
      if (i < options.windows - 1) sent.badSignaturesUntil = this.ledger.badCallbackSignatures;
      measuring = measuring.then(async () => {
        results.push(await this.settle(sent));
      });
    }
    await measuring;
    return results;
  }

  /** Sends one step's calls open-loop, metering CPU and RSS over the sending window. */
  private async sendStep(options: StepOptions): Promise<SentStep> {
    const step = this.stepIndex++;
    const targetCpu = new CpuMeter(this.target.pids ?? (() => [this.target.pid]));
    const postgresCpu = new CpuMeter(this.target.postgresPids ?? (() => []));
    const machineCpu = new MachineCpuMeter();
    const rss = new RssSampler(this.target.pid);
    const badSignaturesBefore = this.ledger.badCallbackSignatures;
    const queueEventsBefore = this.fleet.counters.queueEvents;
    const queueBytesBefore = this.fleet.counters.queueBytes;
    const ownCpuBefore = process.cpuUsage();
    targetCpu.start();
    postgresCpu.start();
    machineCpu.start();
    rss.start();

    const stepStart = performance.now();
    const lags = await openLoopSend(this, step, options);
    const sendSeconds = (performance.now() - stepStart) / 1000;
    const target = targetCpu.stop();
    const postgres = postgresCpu.stop();
    const machine = machineCpu.stop();
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const memory = rss.stop();
    const queueEvents = this.fleet.counters.queueEvents - queueEventsBefore;
    const queueBytes = this.fleet.counters.queueBytes - queueBytesBefore;
    return {
      step,
      options,
      stepStart,
      sendSeconds,
      lags,
      cpuPercent: cpuBreakdown(
        target.cpuPercent,
        postgres.cpuPercent,
        Math.round(((ownCpu.user + ownCpu.system) / 1e6 / sendSeconds) * 100),
        machine.cpuPercent,
      ),
      rssMb: { target: memory.rssMb, targetPeak: memory.peakRssMb },
      badSignaturesBefore,
      queueEventsPerSecond: Math.round(queueEvents / sendSeconds),
      queueKbPerSecond: Math.round(queueBytes / 1024 / sendSeconds),
    };
  }

  /** Waits (bounded by drainS) until every call of the step is completed or failed, then measures and prints it. */
  private async settle(sent: SentStep): Promise<StepResult> {
    const { options } = sent;
    const records = this.ledger.forStep(sent.step);
    const drainStart = performance.now();
    await waitFor(
      () => records.every((record) => settled(record) && callbackSettled(record)),
      options.drainS * 1000,
    );
    const drainSeconds = (performance.now() - drainStart) / 1000;

    const result = this.measure(records, {
      label: options.label ?? `${options.rate}/s`,
      targetRate: options.rate,
      stepStart: sent.stepStart,
      sendSeconds: sent.sendSeconds,
      drainSeconds,
      lags: sent.lags,
      cpuPercent: sent.cpuPercent,
      rssMb: sent.rssMb,
      badSignatures:
        (sent.badSignaturesUntil ?? this.ledger.badCallbackSignatures) - sent.badSignaturesBefore,
      queueEventsPerSecond: sent.queueEventsPerSecond,
      queueKbPerSecond: sent.queueKbPerSecond,
    });
    this.steps.push(result);
    printSteps(this.target.name, [result], this.steps.length === 1);
    for (const { message, calls } of result.errorMessages) console.log(`    ${calls} x ${message}`);
    if (result.staleOffers > 0)
      console.log(
        `    ${result.staleOffers} offers reached their agent after they had expired or been revoked`,
      );
    return result;
  }

  /**
   * After the last step: wait (bounded) for stragglers, then ask the server about every call that was accepted but
   * never offered (still queued = backlog; anything else = lost), and count lost and doubled offers per step.
   */
  async finalDrain(maxMs: number): Promise<{ lost: number; stillQueued: number }> {
    const all = [...this.ledger.calls.values()];
    await waitFor(() => all.every((record) => !owed(record) || record.offers.length > 0), maxMs);
    const unoffered = all.filter((record) => owed(record) && record.offers.length === 0);
    const statuses = await mapConcurrent(unoffered, 16, (record) =>
      this.client.callStatus(record.callId).catch((error: Error) => `error ${error.message}`),
    );
    const queued = new Set(
      unoffered.filter((_, i) => statuses[i] === 'queued').map((record) => record.callId),
    );
    for (const [index, result] of this.steps.entries()) {
      const records = this.ledger
        .forStep(index)
        .filter((record) => owed(record) && record.offers.length === 0);
      result.stillQueued = records.filter((record) => queued.has(record.callId)).length;
      result.lost = records.length - result.stillQueued;
      result.doubleOffers = this.ledger.forStep(index).filter(doubleOffered).length;
      result.staleOffers = this.ledger
        .forStep(index)
        .reduce((sum, r) => sum + r.offers.filter((o) => isStale(o, this.offerTimeoutMs)).length, 0);
      result.sustained &&= result.lost === 0 && result.stillQueued === 0 && result.doubleOffers === 0;
    }
    const lost = unoffered.length - queued.size;
    if (unoffered.length > 0) {
      const other = statuses.filter((status) => status !== 'queued');
      console.log(
        `${this.target.name}: after the run and its drain, ${queued.size} accepted calls were still queued (backlog) and ${lost} lost` +
          (other.length > 0 ? ` (server says: ${[...new Set(other)].join(', ')})` : ''),
      );
    }
    return { lost, stillQueued: queued.size };
  }

  nextCall(step: number, seq: number): { callId: string; body: Record<string, unknown> } {
    const callId = `${this.tag}-${step}-${seq}`;
    const n = this.phoneSeq++;
    // a new caller every time: each call identifies (creates) a customer, as first-time callers do
    const from = `+1555${String(n % 10_000_000).padStart(7, '0')}`;
    return { callId, body: { callId, from, to: '+15550000001', ivr: IVR } };
  }

  send(record: CallRecord, body: Record<string, unknown>): void {
    this.client.post(body, (response) => {
      record.respondedAt = response.at;
      record.status = response.status;
      if (response.status >= 200 && response.status < 300) {
        try {
          record.contactId = (JSON.parse(response.body) as { contactId?: string }).contactId;
        } catch {
          record.errors.push('webhook: unparsable body');
        }
      } else {
        record.errors.push(`webhook ${response.status}: ${response.body.slice(0, 200)}`);
      }
    });
  }

  private measure(
    records: CallRecord[],
    context: {
      label: string;
      targetRate: number;
      stepStart: number;
      sendSeconds: number;
      drainSeconds: number;
      lags: number[];
      cpuPercent: StepResult['cpuPercent'];
      rssMb: StepResult['rssMb'];
      badSignatures: number;
      queueEventsPerSecond: number;
      queueKbPerSecond: number;
    },
  ): StepResult {
    const completed = records.filter((record) => record.completedAt !== undefined);
    const lastCompletion = Math.max(context.stepStart, ...completed.map((record) => record.completedAt!));
    const errorsWith = (prefix: string): number =>
      records.filter((record) => record.errors.some((error) => error.startsWith(prefix))).length;
    const errors = {
      webhook: records.filter((record) => record.status !== undefined && !owed(record)).length,
      accept: errorsWith('offer:accept'),
      complete: errorsWith('contact:complete'),
      callbackMissing: records.filter(
        (record) => record.acceptedAt !== undefined && record.callbackAt === undefined,
      ).length,
      callbackBadSignature: context.badSignatures,
      total: 0,
    };
    errors.total =
      errors.webhook + errors.accept + errors.complete + errors.callbackMissing + errors.callbackBadSignature;
    const offeredRate = records.length / context.sendSeconds;
    const achievedRate =
      completed.length / Math.max(context.sendSeconds, (lastCompletion - context.stepStart) / 1000);
    const unoffered = records.filter((record) => owed(record) && record.offers.length === 0).length;
    const doubleOffers = records.filter(doubleOffered).length;
    const unsettled = records.filter(
      (record) => owed(record) && record.completedAt === undefined && record.errors.length === 0,
    ).length;
    const sustained =
      errors.total === 0 &&
      unoffered === 0 &&
      doubleOffers === 0 &&
      unsettled === 0 &&
      achievedRate >= 0.95 * context.targetRate;
    const lagsSummary = summarize(context.lags);
    return {
      label: context.label,
      agents: this.fleet.size,
      targetRate: context.targetRate,
      offeredRate: round(offeredRate, 1),
      sent: records.length,
      achievedRate: round(achievedRate, 1),
      completed: completed.length,
      errors,
      lost: 0,
      stillQueued: 0,
      unofferedAfterDrain: unoffered,
      doubleOffers,
      refused: records.filter((record) => record.status === 503).length,
      staleOffers: records.reduce(
        (sum, r) => sum + r.offers.filter((o) => isStale(o, this.offerTimeoutMs)).length,
        0,
      ),
      unsettledAfterDrain: unsettled,
      duplicateCallbacks: records.filter((record) => record.callbacks > 1).length,
      latencyMs: {
        webhook: summarize(
          records.filter((r) => r.respondedAt !== undefined).map((r) => r.respondedAt! - r.sentAt),
        ),
        webhookToOffer: summarize(
          records.filter((r) => r.offers.length > 0).map((r) => r.offers[0].at - r.sentAt),
        ),
        passToOffer: summarize(
          records.flatMap((r) => (r.offers[0]?.sinceMadeMs !== undefined ? [r.offers[0].sinceMadeMs] : [])),
        ),
        acceptToCallback: summarize(
          records
            .filter((r) => r.callbackAt !== undefined && r.acceptSentAt !== undefined)
            .map((r) => r.callbackAt! - r.acceptSentAt!),
        ),
        webhookToComplete: summarize(completed.map((r) => r.completedAt! - r.sentAt)),
      },
      cpuPercent: context.cpuPercent,
      rssMb: context.rssMb,
      generatorLagP99Ms: lagsSummary.p99 ?? 0,
      queueEventsPerSecond: context.queueEventsPerSecond,
      queueKbPerSecond: context.queueKbPerSecond,
      errorMessages: errorMessages(records),
      drainSeconds: round(context.drainSeconds, 1),
      sustained,
    };
  }
}

/** Error texts with ids and numbers blanked, so the same failure counts once. */
function errorMessages(records: readonly CallRecord[]): { message: string; calls: number }[] {
  const counts = new Map<string, number>();
  for (const record of records) {
    for (const error of new Set(
      record.errors.map((e) =>
        e
          .replace(/[0-9a-f-]{36}/gi, '<id>')
          .replace(/\d+/g, 'N')
          .slice(0, 160),
      ),
    )) {
      counts.set(error, (counts.get(error) ?? 0) + 1);
    }
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([message, calls]) => ({ message, calls }));
}

function isStale(offer: OfferSeen, offerTimeoutMs: number): boolean {
  return (
    offer.arrivedRevoked === true || (offer.sinceMadeMs !== undefined && offer.sinceMadeMs >= offerTimeoutMs)
  );
}

function cpuBreakdown(
  target: number,
  postgres: number,
  loadGenerator: number,
  machine: number,
): StepResult['cpuPercent'] {
  return {
    target,
    postgres,
    loadGenerator,
    machine,
    other: Math.max(0, machine - target - postgres - loadGenerator),
  };
}

function callbackSettled(record: CallRecord): boolean {
  return record.acceptedAt === undefined || record.callbackAt !== undefined;
}

function openLoopSend(run: LoadRun, step: number, options: StepOptions): Promise<number[]> {
  return openLoop(options.rate, options.durationS * 1000, (seq, dueAt) => {
    const { callId, body } = run.nextCall(step, seq);
    const record = run.ledger.sent(callId, step, dueAt, performance.now());
    run.send(record, body);
  });
}

export async function waitFor(condition: () => boolean, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (!condition() && performance.now() < deadline) await sleep(50);
}

const p = (summary: LatencySummary): string => `${fmt(summary.p50)} / ${fmt(summary.p99)}`;

export function printSteps(name: string, steps: readonly StepResult[], withHeader = true): void {
  const rows: string[][] = [];
  if (withHeader) {
    console.log(
      `\n${name}: offered rate -> completed lifecycles; latencies p50 / p99 in ms; CPU in % of one core`,
    );
    rows.push([
      'step',
      'agents',
      'offered/s',
      'done/s',
      'err',
      'unoff',
      'dbl',
      'webhook',
      'webhook->offer',
      'pass->offer',
      'accept->callback',
      'cpu',
      'pg cpu',
      'machine',
      'gen cpu',
      'other',
      'rss MB',
      'queue KB/s',
      'gen lag p99',
      'ok',
    ]);
  }
  for (const s of steps) {
    rows.push([
      s.label,
      String(s.agents),
      fmt(s.offeredRate),
      fmt(s.achievedRate),
      String(s.errors.total),
      String(s.unofferedAfterDrain),
      String(s.doubleOffers),
      p(s.latencyMs.webhook),
      p(s.latencyMs.webhookToOffer),
      p(s.latencyMs.passToOffer),
      p(s.latencyMs.acceptToCallback),
      `${s.cpuPercent.target}%`,
      `${s.cpuPercent.postgres}%`,
      `${s.cpuPercent.machine}%`,
      `${s.cpuPercent.loadGenerator}%`,
      `${s.cpuPercent.other}%`,
      String(s.rssMb.targetPeak),
      fmt(s.queueKbPerSecond, 0),
      fmt(s.generatorLagP99Ms),
      s.sustained ? 'yes' : 'NO',
    ]);
  }
  if (rows.length > 0) printFixed(rows, withHeader);
}

/** fixed column widths, so rows printed one step at a time line up */
const WIDTHS = [10, 6, 9, 8, 5, 5, 4, 15, 15, 15, 17, 6, 6, 8, 8, 6, 7, 10, 11, 3];

function printFixed(rows: string[][], withHeader: boolean): void {
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(WIDTHS[i]) : cell.padStart(WIDTHS[i]))).join('  ');
  let start = 0;
  if (withHeader) {
    console.log(line(rows[0]));
    console.log(WIDTHS.map((w) => '-'.repeat(w)).join('  '));
    start = 1;
  }
  for (const row of rows.slice(start)) console.log(line(row));
}
