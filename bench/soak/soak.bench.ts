/**
 * The long soak: one Tether process (apps/standalone) under a constant, sustainable rate of whole contact
 * lifecycles for a long time, driven like the lifecycle part (signed webhooks open-loop, agents that accept at once
 * and complete after 0-5 ms, a receiver for the signed callbacks), measured in back-to-back windows without a pause
 * between them. What it is for: anything that only shows with time — memory that grows, latency that drifts, rows
 * that are never cleaned up (timers, offers, slots), tables that bloat.
 *
 * Per window: offered/s, done/s, errors, unoffered, lost, double and stale offers, webhook and webhook->offer
 * p50/p99, Tether RSS, Tether and PostgreSQL CPU. At the end: totals, RSS growth and p99 drift from the first window
 * to the last, and after a final drain what is left in the database (scheduled_jobs, pending offers, agent slots
 * still in use) and the size of the hot tables. Nothing is asserted: it prints figures.
 *
 * Drift: per block of --drift-minutes (5) the webhook->offer p50/p99 and webhook p99 of the calls sent in it and
 * Tether's RSS at its end, and the first block against the last (x1.00 = no drift).
 *
 * Run through `npm run bench -- soak` (never part of a plain `npm run bench`). Options: --soak-minutes 10 (or
 * --minutes 30), --soak-rate 100, --soak-agents 200, --soak-window-seconds 30, --drift-minutes 5, --drain-seconds 15.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchArgs, header, sleep, writeJson } from '../common/bench-cli';
import { runBench } from '../common/bench-main';
import { BenchDatabase } from '../common/bench-database';
import { fmt, printTable, round, summarize } from '../common/stats';
import { BENCH_SECRETS } from '../common/tether-processes';
import { CallLedger, settled } from '../load/call-ledger';
import { CallbackReceiver } from '../load/callback-receiver';
import { StepResult, waitFor } from '../load/load-run';
import { CurrentLedger, startScenario, stopScenario, TableSize, tableSizes } from '../load/tether-scenario';

const args = new BenchArgs();
/** `--minutes` is the same option (the issue's `--minutes 30`); `--soak-minutes` wins when both are given */
const MINUTES = args.number('soak-minutes', args.number('minutes', 10));
/** the drift table's blocks: p99 and RSS per this many minutes, first block against the last */
const DRIFT_MINUTES = args.number('drift-minutes', 5);
const RATE = args.number('soak-rate', 100);
const AGENTS = args.number('soak-agents', 200);
const WINDOW_SECONDS = Math.min(args.number('soak-window-seconds', 30), MINUTES * 60);
const WINDOWS = Math.max(1, Math.round((MINUTES * 60) / WINDOW_SECONDS));
const DRAIN_SECONDS = args.number('drain-seconds', 15);
const HOT_TABLES = ['contacts', 'offers', 'scheduled_jobs', 'agent_presence', 'agent_slots'];

const current: CurrentLedger = { ledger: new CallLedger() };
const receiver = new CallbackReceiver(BENCH_SECRETS.webhookSecret, () => current.ledger);

/** What the database holds once the load has stopped and every call is settled: all of it should be 0. */
interface Leftovers {
  scheduledJobs: { kind: string; rows: number }[];
  pendingOffers: number;
  slotsInUse: number;
  contactsNotEnded: { status: string; rows: number }[];
}

async function leftovers(database: BenchDatabase): Promise<Leftovers> {
  const [jobs, offers, slots, contacts] = await Promise.all([
    database.query<{ kind: string; rows: string }>(
      'SELECT kind, count(*) AS rows FROM scheduled_jobs GROUP BY kind ORDER BY count(*) DESC',
    ),
    database.query<{ rows: string }>(`SELECT count(*) AS rows FROM offers WHERE state = 'pending'`),
    database.query<{ rows: string }>('SELECT count(*) AS rows FROM agent_slots WHERE used > 0'),
    database.query<{ status: string; rows: string }>(
      `SELECT status, count(*) AS rows FROM contacts WHERE status <> 'ended' OR work_open GROUP BY status`,
    ),
  ]);
  return {
    scheduledJobs: jobs.map((j) => ({ kind: j.kind, rows: Number(j.rows) })),
    pendingOffers: Number(offers[0].rows),
    slotsInUse: Number(slots[0].rows),
    contactsNotEnded: contacts.map((c) => ({ status: c.status, rows: Number(c.rows) })),
  };
}

const mmss = (seconds: number): string =>
  `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;
const pair = (a: number | null | undefined, b: number | null | undefined): string => `${fmt(a)} / ${fmt(b)}`;
const sum = (windows: readonly StepResult[], value: (w: StepResult) => number): number =>
  windows.reduce((total, w) => total + value(w), 0);

/** last / first, as a factor (1.00 = no drift) */
function drift(first: number | null | undefined, last: number | null | undefined): number | null {
  return first && last !== null && last !== undefined ? round(last / first, 2) : null;
}

function printWindows(windows: readonly StepResult[]): void {
  console.log(
    '\nper window (lost, double and stale offers as counted after the final drain; latencies in ms)',
  );
  printTable([
    [
      'window',
      'offered/s',
      'done/s',
      'err',
      'unoff',
      'lost',
      'dbl',
      'stale',
      'webhook p50/p99',
      'webhook->offer p50/p99',
      'rss MB',
      'pg / tether cpu',
    ],
    ...windows.map((w) => [
      w.label,
      fmt(w.offeredRate),
      fmt(w.achievedRate),
      String(w.errors.total),
      String(w.unofferedAfterDrain),
      String(w.lost),
      String(w.doubleOffers),
      String(w.staleOffers),
      pair(w.latencyMs.webhook.p50, w.latencyMs.webhook.p99),
      pair(w.latencyMs.webhookToOffer.p50, w.latencyMs.webhookToOffer.p99),
      String(w.rssMb.target),
      `${w.cpuPercent.postgres}% / ${w.cpuPercent.target}%`,
    ]),
  ]);
}

/** p99 and RSS per block of DRIFT_MINUTES (the windows that end in it), from the calls themselves */
interface DriftBlock {
  block: string;
  calls: number;
  webhookP99: number | null;
  webhookToOfferP99: number | null;
  webhookToOfferP50: number | null;
  rssMb: number;
}

function driftBlocks(windows: readonly StepResult[], ledger: CallLedger): DriftBlock[] {
  const perBlock = Math.max(1, Math.round((DRIFT_MINUTES * 60) / WINDOW_SECONDS));
  const blocks: DriftBlock[] = [];
  for (let from = 0; from < windows.length; from += perBlock) {
    const indexes = windows.slice(from, from + perBlock).map((_, i) => from + i);
    const records = indexes.flatMap((i) => ledger.forStep(i));
    const toOffer = summarize(
      records.flatMap((r) => (r.offers.length > 0 ? [r.offers[0].at - r.sentAt] : [])),
    );
    const webhook = summarize(
      records.filter((r) => r.respondedAt !== undefined).map((r) => r.respondedAt! - r.sentAt),
    );
    blocks.push({
      block: `${mmss(from * WINDOW_SECONDS)}-${mmss((from + indexes.length) * WINDOW_SECONDS)}`,
      calls: records.length,
      webhookP99: webhook.p99,
      webhookToOfferP99: toOffer.p99,
      webhookToOfferP50: toOffer.p50,
      rssMb: windows[indexes[indexes.length - 1]].rssMb.target,
    });
  }
  return blocks;
}

function printTables(tables: readonly TableSize[]): void {
  printTable([
    ['table', 'live rows', 'dead rows', 'MB'],
    ...tables.map((t) => [t.table, String(t.liveRows), String(t.deadRows), fmt(t.sizeMb)]),
  ]);
}

async function main(): Promise<void> {
  const callbackUrl = await receiver.listen();
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-soak-'));
  try {
    header(
      `soak: ${AGENTS} agents, ${RATE} calls/s for ${fmt(MINUTES)} min (${WINDOWS} windows of ${WINDOW_SECONDS} s)`,
    );
    const soak = await startScenario({
      name: 'tether_bench_soak',
      agents: AGENTS,
      callbackUrl,
      dataDir,
      current,
    });
    const tablesBefore = await tableSizes(soak.database, HOT_TABLES);
    const windows = await soak.run.windows({
      rate: RATE,
      windowS: WINDOW_SECONDS,
      windows: WINDOWS,
      drainS: Math.min(DRAIN_SECONDS, WINDOW_SECONDS),
      label: (i) => mmss((i + 1) * WINDOW_SECONDS),
    });
    const drainStarted = performance.now();
    const { lost, stillQueued } = await soak.run.finalDrain(30_000);
    // every call completed or failed, so no agent should hold a slot and no offer or timer should be left
    const records = [...soak.run.ledger.calls.values()];
    await waitFor(() => records.every(settled), 30_000);
    await sleep(1_000);
    const drainSeconds = round((performance.now() - drainStarted) / 1000, 1);
    const left = await leftovers(soak.database);
    const tables = await tableSizes(soak.database, HOT_TABLES);
    const fleet = { ...soak.fleet.counters };
    const strays = soak.run.ledger.strays;
    const idleRssMb = soak.idleRssMb;
    await stopScenario(soak);

    printWindows(windows);
    const first = windows[0];
    const last = windows[windows.length - 1];
    const totals = {
      sent: sum(windows, (w) => w.sent),
      completed: sum(windows, (w) => w.completed),
      errors: sum(windows, (w) => w.errors.total),
      unofferedAfterDrain: sum(windows, (w) => w.unofferedAfterDrain),
      lost,
      stillQueued,
      doubleOffers: sum(windows, (w) => w.doubleOffers),
      staleOffers: sum(windows, (w) => w.staleOffers),
      duplicateCallbacks: sum(windows, (w) => w.duplicateCallbacks),
    };
    const rssGrowth = {
      idleMb: idleRssMb,
      firstWindowMb: first.rssMb.target,
      lastWindowMb: last.rssMb.target,
      growthMb: last.rssMb.target - first.rssMb.target,
      peakMb: Math.max(...windows.map((w) => w.rssMb.targetPeak)),
    };
    const p99Drift = {
      webhook: {
        firstMs: first.latencyMs.webhook.p99,
        lastMs: last.latencyMs.webhook.p99,
        factor: drift(first.latencyMs.webhook.p99, last.latencyMs.webhook.p99),
      },
      webhookToOffer: {
        firstMs: first.latencyMs.webhookToOffer.p99,
        lastMs: last.latencyMs.webhookToOffer.p99,
        factor: drift(first.latencyMs.webhookToOffer.p99, last.latencyMs.webhookToOffer.p99),
      },
    };
    const jobs = left.scheduledJobs.reduce((n, j) => n + j.rows, 0);
    const blocks = driftBlocks(windows, soak.run.ledger);
    const firstBlock = blocks[0];
    const lastBlock = blocks[blocks.length - 1];
    const blockDrift = {
      minutes: DRIFT_MINUTES,
      webhookToOfferP99: drift(firstBlock.webhookToOfferP99, lastBlock.webhookToOfferP99),
      webhookP99: drift(firstBlock.webhookP99, lastBlock.webhookP99),
      rss: drift(firstBlock.rssMb, lastBlock.rssMb),
      rssGrowthMb: lastBlock.rssMb - firstBlock.rssMb,
    };

    header('soak summary');
    console.log(
      `calls: ${totals.sent} sent, ${totals.completed} completed, ${totals.errors} errors; ` +
        `${totals.lost} lost, ${totals.doubleOffers} double offers (0 / 0 expected), ` +
        `${totals.stillQueued} still queued, ${totals.staleOffers} stale offers, ${totals.duplicateCallbacks} duplicate callbacks`,
    );
    console.log(
      `Tether RSS: ${rssGrowth.idleMb} MB idle, ${rssGrowth.firstWindowMb} MB after the first window, ` +
        `${rssGrowth.lastWindowMb} MB after the last: ${rssGrowth.growthMb >= 0 ? '+' : ''}${rssGrowth.growthMb} MB ` +
        `over ${fmt(((WINDOWS - 1) * WINDOW_SECONDS) / 60)} min (peak ${rssGrowth.peakMb} MB)`,
    );
    console.log(
      `p99 drift first -> last window: webhook ${pair(p99Drift.webhook.firstMs, p99Drift.webhook.lastMs)} ms ` +
        `(x${fmt(p99Drift.webhook.factor, 2)}), webhook->offer ${pair(p99Drift.webhookToOffer.firstMs, p99Drift.webhookToOffer.lastMs)} ms ` +
        `(x${fmt(p99Drift.webhookToOffer.factor, 2)})`,
    );
    console.log(`\ndrift per ${fmt(DRIFT_MINUTES)} min (calls sent in the block; RSS at its end):`);
    printTable([
      ['block', 'calls', 'webhook->offer p50 / p99 ms', 'webhook p99 ms', 'tether RSS MB'],
      ...blocks.map((b) => [
        b.block,
        String(b.calls),
        pair(b.webhookToOfferP50, b.webhookToOfferP99),
        fmt(b.webhookP99),
        String(b.rssMb),
      ]),
    ]);
    console.log(
      `drift first -> last block: webhook->offer p99 x${fmt(blockDrift.webhookToOfferP99, 2)}, ` +
        `webhook p99 x${fmt(blockDrift.webhookP99, 2)}, RSS x${fmt(blockDrift.rss, 2)} ` +
        `(${blockDrift.rssGrowthMb >= 0 ? '+' : ''}${blockDrift.rssGrowthMb} MB)`,
    );
    console.log(
      `after the final drain (${drainSeconds} s): ${jobs} scheduled_jobs rows` +
        (jobs > 0 ? ` (${left.scheduledJobs.map((j) => `${j.kind} ${j.rows}`).join(', ')})` : '') +
        `, ${left.pendingOffers} pending offers, ${left.slotsInUse} agent_slots with used > 0 (0 expected), ` +
        `contacts not ended or with open work: ${left.contactsNotEnded.map((c) => `${c.status} ${c.rows}`).join(', ') || '0'}`,
    );
    console.log(`fleet: ${JSON.stringify(fleet)}, stray events ${strays}`);
    console.log(
      '\nhot tables before the load and after it (dead rows: what autovacuum has not reclaimed yet):',
    );
    printTables([...tablesBefore.map((t) => ({ ...t, table: `${t.table} (before)` })), ...tables]);

    writeJson(args.string('json'), {
      settings: {
        agents: AGENTS,
        rate: RATE,
        minutes: MINUTES,
        windowSeconds: WINDOW_SECONDS,
        windows: WINDOWS,
        thinkMs: '0-5',
      },
      windows,
      totals,
      rssGrowth,
      p99Drift,
      blocks,
      blockDrift,
      afterDrain: { seconds: drainSeconds, ...left },
      tablesBefore,
      tables,
      fleet,
      strayEvents: strays,
    });
  } finally {
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
