/**
 * The supervisors' live view under a long queue: how soon a change on the floor reaches a supervisor's `live:view`.
 * One Tether process (apps/standalone) over a fresh database; --waiting contacts (1,000) waiting on presales (written
 * straight into the tables: nobody is there to take them), --supervisors sockets on /supervisors (admin token). Then
 * --changes times, --gap-ms apart: a signed call arrives on sales (the change: `queue.changed` on the bus), and the
 * time until every supervisor's `live:view` counts it (sales' `waiting.total` one higher) is recorded. Coalescing
 * (at most one push per 500 ms) is part of what is measured. Also: the view's size in bytes.
 *
 * Run through `npm run bench -- live`. Options: --waiting 1000, --supervisors 5, --changes 40, --gap-ms 700.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { LiveViewPayload } from '@tether/realtime';
import { BenchArgs, header, serverDatabaseUrl, sleep, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { fmt, printTable, summarize } from '../common/stats';
import { signTether } from '../common/tether-signature';
import { BENCH_SECRETS, startStandalone } from '../common/tether-processes';

const args = new BenchArgs();
const WAITING = args.number('waiting', 1000);
const SUPERVISORS = args.number('supervisors', 5);
const CHANGES = args.number('changes', 40);
const GAP_MS = args.number('gap-ms', 700);

const salesTotal = (view: LiveViewPayload): number =>
  view.lines.find((l) => l.line === 'sales')?.waiting.total ?? -1;

async function postCall(salesUrl: string): Promise<void> {
  const path = '/v1/telephony/calls';
  const raw = JSON.stringify({ callId: `live-${randomUUID()}`, from: '+15550001111', to: '+15550000001' });
  const response = await fetch(`${salesUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tether-signature': signTether(BENCH_SECRETS.webhookSecret, 'POST', path, raw),
    },
    body: raw,
  });
  if (response.status !== 201) throw new Error(`call answered ${response.status}: ${await response.text()}`);
}

async function main(): Promise<void> {
  const database = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_live');
  await database.migrate();
  await database.query(
    `WITH c AS (INSERT INTO customers (name, known) SELECT NULL, false FROM generate_series(1, $1) RETURNING id)
     INSERT INTO contacts (external_id, channel, line, customer_id, from_address, priority, required_skills, status,
                           enqueued_at, created_at)
     SELECT 'bench-' || c.id, 'voice', 'presales', c.id, '+15550000000', 0, '{}', 'queued',
            now() - (row_number() OVER ()) * interval '1 second', now()
       FROM c`,
    [WAITING],
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-live-'));
  const sockets: Socket[] = [];
  try {
    const tether = await startStandalone({ databaseUrl: database.url, dataDir });
    header(
      `live view: ${WAITING} waiting on presales, ${SUPERVISORS} supervisors, ${CHANGES} changes ${GAP_MS} ms apart`,
    );
    const latest: LiveViewPayload[] = [];
    const waiters: (() => void)[] = [];
    let bytes = 0;
    for (let i = 0; i < SUPERVISORS; i++) {
      const socket = io(`${tether.gatewayUrl}/supervisors`, {
        auth: { token: BENCH_SECRETS.adminToken },
        transports: ['websocket'],
        reconnection: false,
      });
      sockets.push(socket);
      socket.on('live:view', (view: LiveViewPayload) => {
        latest[i] = view;
        bytes = Math.max(bytes, JSON.stringify(view).length);
        waiters.forEach((w) => w());
      });
    }
    const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error('no live:view reflected the change in time');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
        waiters.length = 0;
      }
    };
    await until(() => latest.filter(Boolean).length === SUPERVISORS);
    const presales = latest[0].lines.find((l) => l.line === 'presales')!.waiting;
    console.log(
      `first view: presales total ${presales.total}, ${presales.contacts.length} contacts sent, ${bytes} bytes`,
    );

    const latencies: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const before = salesTotal(latest[0]);
      const started = performance.now();
      await postCall(tether.salesUrl);
      await until(() => latest.every((view) => salesTotal(view) > before));
      latencies.push(performance.now() - started);
      await sleep(GAP_MS);
    }
    const s = summarize(latencies);
    printTable([
      ['change → every supervisor’s live:view', 'p50 ms', 'p99 ms', 'max ms', 'view bytes'],
      [`${CHANGES} calls, ${WAITING} waiting`, fmt(s.p50), fmt(s.p99), fmt(s.max), String(bytes)],
    ]);
    writeJson(args.string('json'), {
      waiting: WAITING,
      supervisors: SUPERVISORS,
      changes: CHANGES,
      gapMs: GAP_MS,
      changeToViewMs: s,
      viewBytes: bytes,
    });
  } finally {
    sockets.forEach((s) => s.close());
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
