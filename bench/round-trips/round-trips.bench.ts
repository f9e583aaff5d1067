/**
 * What pipeline mode (TETHER_DB_PIPELINE) saves on a routing pass's transaction: the same pass-shaped transaction
 * through Tether's pool with it off (BEGIN, the locked read, the write, COMMIT: four round trips) and on (BEGIN
 * written with the read, the write with COMMIT: two), alternately, in the same run.
 *
 * The transaction is the pass's shape, not its SQL: `pg_advisory_xact_lock` and a read by key (the snapshot takes
 * the line's lock and reads), then an `UPDATE ... RETURNING` (the commit of the offers) as the last statement
 * (`lastRows`, as the dispatcher writes it). Two links: the runner's PostgreSQL as the pool reaches it (the unix
 * socket), and the same server behind a TCP proxy that holds every chunk `--latency-ms` (1) each way, a database
 * on another host. Two loads: one client running transactions back to back (latency per transaction, and this
 * process's CPU per transaction on the direct link), and `--contenders` (4) clients taking the same lock (one line's
 * passes from several instances): transactions/s is then one over the time the lock is held.
 *
 * Run through `npm run bench -- round-trips` (only when named). Options: --rounds 3, --transactions 3000 (direct
 * link; a tenth of it through the proxy), --latency-ms 1, --contenders 4.
 */
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { createDataSource, inTransaction, lastRows, prepared } from '@tether/persistence';
import { FaultProxy, faultLatency } from '@tether/testing';
import { BenchArgs, header, serverDatabaseUrl, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { fmt, median, printTable, round, summarize } from '../common/stats';

const args = new BenchArgs();
const ROUNDS = args.number('rounds', 3);
const TRANSACTIONS = args.number('transactions', 3000);
const LATENCY_MS = args.number('latency-ms', 1);
const CONTENDERS = args.number('contenders', 4);
const LOCK_KEY = 4242;

interface Measured {
  link: 'direct' | 'proxy';
  pipeline: boolean;
  load: 'one client' | 'contended';
  transactionsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** this process's CPU per transaction (µs), direct link only (through the proxy it would count the proxy) */
  cpuMicros: number | null;
}

/** the pass's shape: the line's lock and a read, then the last statement with its COMMIT */
function passShaped(source: DataSource): Promise<unknown> {
  return inTransaction(source, async (tx) => {
    await tx.query(prepared(`SELECT pg_advisory_xact_lock($1), n FROM passes WHERE id = 1`), [LOCK_KEY]);
    return lastRows(tx, prepared(`UPDATE passes SET n = n + 1 WHERE id = $1 RETURNING n`), [1]);
  });
}

async function measure(
  url: string,
  link: Measured['link'],
  pipeline: boolean,
  load: Measured['load'],
): Promise<Measured> {
  const clients = load === 'contended' ? CONTENDERS : 1;
  const count = Math.max(50, Math.round(link === 'direct' ? TRANSACTIONS : TRANSACTIONS / 10));
  const source = await createDataSource(url, clients, 'tether-bench-round-trips', { pipeline }).initialize();
  try {
    // warm: every connection open, the statements prepared on each
    await Promise.all(Array.from({ length: clients * 4 }, () => passShaped(source)));
    const latencies: number[] = [];
    let left = count;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (left-- > 0) {
          const at = performance.now();
          await passShaped(source);
          latencies.push(performance.now() - at);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const summary = summarize(latencies);
    return {
      link,
      pipeline,
      load,
      transactionsPerSecond: round(latencies.length / seconds, 1),
      p50Ms: summary.p50,
      p99Ms: summary.p99,
      cpuMicros: link === 'direct' ? round((cpu.user + cpu.system) / latencies.length, 1) : null,
    };
  } finally {
    await source.destroy();
  }
}

async function main(): Promise<void> {
  const database = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_round_trips');
  // the proxy speaks TCP: the server's TCP address (the runner's URL may name its unix socket in `host`)
  const tcpUrl = new URL(database.url);
  tcpUrl.searchParams.delete('host');
  const proxy = await FaultProxy.start({
    target: tcpUrl.toString(),
    label: 'postgres',
    mode: faultLatency(LATENCY_MS),
  });
  const results: Measured[] = [];
  try {
    await database.query(`CREATE TABLE passes (id int PRIMARY KEY, n bigint NOT NULL)`);
    await database.query(`INSERT INTO passes VALUES (1, 0)`);
    const links: [Measured['link'], string][] = [
      ['direct', database.url],
      ['proxy', proxy.route(tcpUrl.toString())],
    ];
    header(
      `round trips: a pass-shaped transaction, TETHER_DB_PIPELINE off and on alternately, ${ROUNDS} rounds; ` +
        `proxy: +${LATENCY_MS} ms each way`,
    );
    for (let roundIndex = 0; roundIndex < ROUNDS; roundIndex++)
      for (const [link, url] of links)
        for (const load of ['one client', 'contended'] as const)
          for (const pipeline of [false, true]) results.push(await measure(url, link, pipeline, load));

    const rows: string[][] = [
      [
        'link, load',
        'off: tx/s',
        'on: tx/s',
        'tx/s on/off',
        'off: p50 / p99 ms',
        'on: p50 / p99 ms',
        'off: CPU µs/tx',
        'on: CPU µs/tx',
      ],
    ];
    const summary: Record<string, unknown>[] = [];
    for (const [link] of links)
      for (const load of ['one client', 'contended'] as const) {
        const side = (pipeline: boolean) =>
          results.filter((r) => r.link === link && r.load === load && r.pipeline === pipeline);
        const off = side(false);
        const on = side(true);
        const med = (list: Measured[], pick: (r: Measured) => number | null) =>
          median(list.map(pick).filter((v): v is number => v !== null));
        const ratios = off.map((o, i) => on[i].transactionsPerSecond / o.transactionsPerSecond);
        const figures = {
          link,
          load: load === 'contended' ? `${CONTENDERS} clients, one lock` : load,
          offTps: med(off, (r) => r.transactionsPerSecond),
          onTps: med(on, (r) => r.transactionsPerSecond),
          ratioMin: Math.min(...ratios),
          ratioMedian: median(ratios),
          ratioMax: Math.max(...ratios),
          offP50: med(off, (r) => r.p50Ms),
          offP99: med(off, (r) => r.p99Ms),
          onP50: med(on, (r) => r.p50Ms),
          onP99: med(on, (r) => r.p99Ms),
          offCpu: link === 'direct' ? med(off, (r) => r.cpuMicros) : NaN,
          onCpu: link === 'direct' ? med(on, (r) => r.cpuMicros) : NaN,
        };
        summary.push(figures);
        rows.push([
          `${link}, ${figures.load}`,
          fmt(figures.offTps, 0),
          fmt(figures.onTps, 0),
          `${fmt(figures.ratioMedian, 2)}x (${fmt(figures.ratioMin, 2)}-${fmt(figures.ratioMax, 2)})`,
          `${fmt(figures.offP50, 2)} / ${fmt(figures.offP99, 2)}`,
          `${fmt(figures.onP50, 2)} / ${fmt(figures.onP99, 2)}`,
          fmt(figures.offCpu, 0),
          fmt(figures.onCpu, 0),
        ]);
      }
    console.log(`medians over ${ROUNDS} rounds; the ratio's range is over the rounds`);
    printTable(rows);
    writeJson(args.string('json'), { part: 'round-trips', latencyMs: LATENCY_MS, summary, results });
  } finally {
    await proxy.stop();
    await database.drop();
  }
}

runBench(main);
