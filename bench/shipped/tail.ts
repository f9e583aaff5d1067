/**
 * Where a step's tail goes, call by call: reads the files `npm run bench -- shipped --calls-dir DIR` writes and, per
 * step, splits each call's webhook->offer into
 *   - answer:  the webhook's HTTP round trip (sent -> answered);
 *   - to pass: answered -> the routing pass that made its offer began (the offer's arrival minus `sinceMadeMs`);
 *   - pass:    that pass's start -> the offer's arrival at the agent (`sinceMadeMs`: the pass, its commit, delivery);
 * for the median call and the slowest 1% (steady state: calls sent from 2 s after the step's first; the first 2 s
 * apart), and shows when the slow calls were sent (clusters of slow calls sent within 100 ms of each other), to tell
 * a periodic stall from a steady queue.
 *
 *   node dist/bench/shipped/tail.js --files DIR/01-tether-as-shipped-s2.json[,more] [--slow-ms 50]
 */
import { readFileSync } from 'node:fs';
import type { CallRecord } from '../load/call-ledger';
import { BenchArgs } from '../common/bench-cli';
import { fmt, summarize } from '../common/stats';

const args = new BenchArgs();
const SLOW_MS = args.number('slow-ms', 50);
const STEADY_AFTER_MS = 2_000;

interface Split {
  sentAt: number;
  total: number;
  answer: number;
  toPass: number;
  pass: number;
}

function splitOf(call: CallRecord): Split | undefined {
  const offer = call.offers[0];
  if (!offer || call.respondedAt === undefined || offer.sinceMadeMs === undefined) return undefined;
  const passStartedAt = offer.at - offer.sinceMadeMs;
  return {
    sentAt: call.sentAt,
    total: offer.at - call.sentAt,
    answer: call.respondedAt - call.sentAt,
    toPass: passStartedAt - call.respondedAt,
    pass: offer.sinceMadeMs,
  };
}

function row(label: string, splits: Split[]): string {
  const p50 = (pick: (s: Split) => number) => fmt(summarize(splits.map(pick)).p50);
  return (
    `${label.padEnd(22)} n=${String(splits.length).padEnd(6)} total ${p50((s) => s.total).padStart(8)}` +
    `  answer ${p50((s) => s.answer).padStart(8)}  to pass ${p50((s) => s.toPass).padStart(8)}` +
    `  pass ${p50((s) => s.pass).padStart(8)}  (medians, ms)`
  );
}

for (const file of (args.string('files') ?? '').split(',').filter(Boolean)) {
  const calls = JSON.parse(readFileSync(file, 'utf8')) as CallRecord[];
  console.log(`\n== ${file}: ${calls.length} calls`);
  const steps = [...new Set(calls.map((c) => c.step))].sort((a, b) => a - b);
  for (const step of steps) {
    const ofStep = calls.filter((c) => c.step === step);
    const first = Math.min(...ofStep.map((c) => c.scheduledAt));
    // the calls sent in [from, to) ms of the step that were offered, fastest first
    const splitsSent = (from: number, to: number): Split[] =>
      ofStep
        .filter((c) => c.scheduledAt - first >= from && c.scheduledAt - first < to)
        .map(splitOf)
        .filter((s): s is Split => s !== undefined)
        .sort((a, b) => a.total - b.total);
    const steady = splitsSent(STEADY_AFTER_MS, Infinity);
    const firstTwo = splitsSent(0, STEADY_AFTER_MS);
    if (firstTwo.length > 0) {
      console.log(row('first 2 s: all', firstTwo));
      console.log(row('first 2 s: slowest 10%', firstTwo.slice(Math.floor(firstTwo.length * 0.9))));
    }
    if (steady.length === 0) continue;
    const totals = summarize(steady.map((s) => s.total));
    console.log(
      `-- step ${step}: steady webhook->offer p50 ${fmt(totals.p50)} / p99 ${fmt(totals.p99)} / max ${fmt(totals.max)} ms`,
    );
    const mid = Math.floor(steady.length / 2);
    console.log(
      row(
        'median 10% of calls',
        steady.slice(mid - Math.floor(steady.length / 20), mid + Math.ceil(steady.length / 20)),
      ),
    );
    console.log(row('slowest 1%', steady.slice(Math.floor(steady.length * 0.99))));
    const slow = steady.filter((s) => s.total > SLOW_MS).sort((a, b) => a.sentAt - b.sentAt);
    console.log(`calls slower than ${SLOW_MS} ms: ${slow.length} of ${steady.length}`);
    // clusters: slow calls sent within 100 ms of the previous slow one
    const clusters: Split[][] = [];
    for (const s of slow) {
      const last = clusters.at(-1);
      if (last && s.sentAt - last.at(-1)!.sentAt <= 100) last.push(s);
      else clusters.push([s]);
    }
    for (const cluster of clusters.slice(0, 30)) {
      const at = ((cluster[0].sentAt - first) / 1000).toFixed(2);
      const worst = cluster.reduce((a, b) => (b.total > a.total ? b : a));
      console.log(
        `  at ${at.padStart(6)} s: ${String(cluster.length).padStart(3)} slow over ` +
          `${fmt(cluster.at(-1)!.sentAt - cluster[0].sentAt)} ms; worst ${fmt(worst.total)} ms = answer ` +
          `${fmt(worst.answer)} + to pass ${fmt(worst.toPass)} + pass ${fmt(worst.pass)}`,
      );
    }
    if (clusters.length > 30) console.log(`  ... ${clusters.length - 30} more clusters`);
  }
}
