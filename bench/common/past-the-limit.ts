import { owed } from '../load/call-ledger';
import type { LoadRun, StepResult } from '../load/load-run';
import { header } from './bench-cli';
import { fmt, LatencySummary, round, summarize } from './stats';

/** issue 11: past the limit, webhooks answer within this p99 (the durably queued and the refused alike) */
export const PAST_THE_LIMIT_P99_MS = 100;

/** Past the limit: a step at 2x the max sustained rate, then a step at half of it, on one process. */
export interface PastTheLimit {
  maxSustainedRate: number;
  rate: number;
  recoveryRate: number;
  overload: StepResult;
  recovery: StepResult;
  /** the overload step's webhooks: every answer, and the admitted (2xx) ones only */
  webhookMs: { all: LatencySummary; admitted: LatencySummary };
  sent: number;
  admitted: number;
  /** 503 + Retry-After: an admission limit (refused, never recorded) */
  refused: number;
  refusedShare: number;
  /** neither 2xx nor 503 (other statuses, connection failures, timeouts) */
  otherErrors: number;
  /** 2xx but never offered and not queued after the final drain */
  lost: number;
  doubleOffers: number;
  recoverySustained: boolean;
  recoveryWebhookP99Ms: number | null;
  /** webhook p99 (all answers) <= 100 ms at 2x, 0 lost, 0 double, the recovery step sustained with p99 <= 100 ms */
  met: boolean;
}

/**
 * Past the limit on a process the ramp just measured (its fleet still connected): `maxSustained` x 2 for a step
 * (webhooks answered fast, or refused with 503 + Retry-After by an admission limit; nothing accepted lost), then
 * half `maxSustained`: sustained again, without a restart. Lost calls are counted after a final drain.
 */
export async function runPastTheLimit(
  run: LoadRun,
  maxSustained: number,
  options: { stepSeconds: number; drainSeconds: number; finalDrainMs?: number },
): Promise<PastTheLimit> {
  const rate = 2 * maxSustained;
  const recoveryRate = maxSustained / 2;
  header(
    `past the limit: ${rate}/s (2x the max sustained) for ${options.stepSeconds} s, then ${recoveryRate}/s`,
  );
  const overload = await run.step({
    label: `2x ${rate}/s`,
    rate,
    durationS: options.stepSeconds,
    drainS: options.drainSeconds * 2,
  });
  const overloadIndex = run.steps.indexOf(overload);
  const recovery = await run.step({
    label: `then ${recoveryRate}/s`,
    rate: recoveryRate,
    durationS: options.stepSeconds,
    drainS: options.drainSeconds,
  });
  await run.finalDrain(options.finalDrainMs ?? 60_000);
  const records = run.ledger.forStep(overloadIndex);
  const answered = records.filter((r) => r.respondedAt !== undefined);
  const admitted = records.filter(owed);
  const webhookMs = {
    all: summarize(answered.map((r) => r.respondedAt! - r.sentAt)),
    admitted: summarize(admitted.map((r) => r.respondedAt! - r.sentAt)),
  };
  const recoveryWebhookP99Ms = recovery.latencyMs.webhook.p99;
  const result: PastTheLimit = {
    maxSustainedRate: maxSustained,
    rate,
    recoveryRate,
    overload,
    recovery,
    webhookMs,
    sent: overload.sent,
    admitted: admitted.length,
    refused: overload.refused,
    refusedShare: overload.sent > 0 ? round(overload.refused / overload.sent, 3) : 0,
    otherErrors: overload.errors.webhook - overload.refused,
    lost: overload.lost,
    doubleOffers: overload.doubleOffers,
    recoverySustained: recovery.sustained,
    recoveryWebhookP99Ms,
    met: false,
  };
  result.met =
    webhookMs.all.p99 !== null &&
    webhookMs.all.p99 <= PAST_THE_LIMIT_P99_MS &&
    result.lost === 0 &&
    result.doubleOffers === 0 &&
    result.recoverySustained &&
    recoveryWebhookP99Ms !== null &&
    recoveryWebhookP99Ms <= PAST_THE_LIMIT_P99_MS;
  for (const line of describePastTheLimit(result)) console.log(line);
  return result;
}

/** The lines a bench prints for a past-the-limit measurement. */
export function describePastTheLimit(p: PastTheLimit): string[] {
  return [
    `past the limit at ${p.rate}/s (2x ${p.maxSustainedRate}/s): ${p.sent} webhooks, ${p.admitted} admitted (2xx), ` +
      `${p.refused} refused (503 + Retry-After, ${fmt(p.refusedShare * 100)}%), ${p.otherErrors} other errors`,
    `  webhook p50 / p99: all answers ${fmt(p.webhookMs.all.p50)} / ${fmt(p.webhookMs.all.p99)} ms, admitted only ` +
      `${fmt(p.webhookMs.admitted.p50)} / ${fmt(p.webhookMs.admitted.p99)} ms (target p99 <= ${PAST_THE_LIMIT_P99_MS} ms)`,
    `  ${p.lost} admitted and lost (never offered, not queued after the drain), ${p.doubleOffers} double offers`,
    `  then ${p.recoveryRate}/s: ${p.recoverySustained ? 'sustained' : 'NOT sustained'} (${fmt(p.recovery.achievedRate)} done/s, ` +
      `webhook p99 ${fmt(p.recoveryWebhookP99Ms)} ms, ${p.recovery.refused} refused, webhook->offer p99 ` +
      `${fmt(p.recovery.latencyMs.webhookToOffer.p99)} ms)`,
    `  past the limit: ${p.met ? 'met' : 'NOT MET'}`,
  ];
}

/** The figure of the targets table's line. */
export function pastTheLimitFigure(p: PastTheLimit): string {
  return (
    `webhook p99 ${fmt(p.webhookMs.all.p99)} ms (admitted ${fmt(p.webhookMs.admitted.p99)} ms) at ${p.rate}/s, ` +
    `${p.refused} of ${p.sent} refused, ${p.lost} lost, ${p.doubleOffers} double; ` +
    `${p.recoveryRate}/s ${p.recoverySustained ? 'sustained' : 'NOT sustained'}, p99 ${fmt(p.recoveryWebhookP99Ms)} ms`
  );
}
