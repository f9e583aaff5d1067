/**
 * Routing replay (issue #15): `POST /v1/lines/sales/routing/replay` over a recorded day of --contacts (50,000)
 * contacts and --agents (100) agents' presence, timed through the HTTP endpoint of one Tether process
 * (apps/standalone) over a fresh database. The day is seeded by SQL, deterministically (no randomness: hashes of
 * the row number): arrivals spread over 24 h, 30% with a last agent, 5% VIP customers, intents billing / sales /
 * support, 5% hung up unanswered, the rest answered (an accepted offer) and completed after 45-165 s; every agent
 * available all day but for a 30-minute break (agent_presence_events). The live rules ask billing >= 5 for billing
 * calls; the draft adds a VIP priority rule and billing stages (billing >= 7 for 30 s, then anyone).
 *
 * Prints contacts/s, total seconds and the Tether process's peak RSS during the replay; target under 60 s.
 * Run through `npm run bench -- replay` (only when named). Options: --contacts 50000, --agents 100, --runs 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchArgs, header, serverDatabaseUrl, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { RssSampler } from '../common/proc-stats';
import { printTable } from '../common/stats';
import { BENCH_SECRETS, startStandalone } from '../common/tether-processes';

const args = new BenchArgs();
const CONTACTS = args.number('contacts', 50_000);
const AGENTS = args.number('agents', 100);
const RUNS = args.number('runs', 1);
const DAY = '2026-11-02T00:00:00Z';

async function admin<T>(adminUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_SECRETS.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(600_000),
  });
  if (!response.ok)
    throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** One recorded day on sales, by SQL. */
async function seed(database: BenchDatabase): Promise<void> {
  await database.query(
    `INSERT INTO agents (name, lines, skills, capacity)
     SELECT 'replay agent ' || i, ARRAY['sales'], jsonb_build_object('billing', 1 + i % 9), '{"voice":1}'
       FROM generate_series(1, $1) i`,
    [AGENTS],
  );
  // the trigger recorded each agent's insert (offline, now): replace it by the day's history
  await database.query(`DELETE FROM agent_presence_events`);
  await database.query(
    `WITH a AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM agents)
     INSERT INTO agent_presence_events (at, agent_id, state)
     SELECT $1::timestamptz - interval '1 hour', id, 'available' FROM a
     UNION ALL SELECT $1::timestamptz + (n % 40) * interval '30 minutes' + interval '2 hours', id, 'away' FROM a
     UNION ALL SELECT $1::timestamptz + (n % 40) * interval '30 minutes' + interval '150 minutes', id, 'available'
       FROM a`,
    [DAY],
  );
  const customers = Math.max(1, Math.floor(CONTACTS / 2.5));
  await database.query(
    `INSERT INTO customers (name, known, attributes)
     SELECT NULL, true, CASE WHEN i % 20 = 0 THEN '{"segment":"vip"}'::jsonb ELSE '{}'::jsonb END
       FROM generate_series(1, $1) i`,
    [customers],
  );
  // hashes of the row number stand for randomness: the same day on every run
  await database.query(
    `WITH cu AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers),
          ag AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM agents),
          r AS (
            SELECT i,
                   $1::timestamptz + ((i - 1)::double precision / $2) * interval '24 hours' AS arrived,
                   (hashint4(i)::bigint & 2147483647) AS h1, (hashint4(i + 7919)::bigint & 2147483647) AS h2, (hashint4(i + 104729)::bigint & 2147483647) AS h3
              FROM generate_series(1, $2) i)
     INSERT INTO contacts (external_id, channel, line, customer_id, from_address, ivr, priority, required_skills,
                           status, end_reason, sticky_agent_id, last_agent_at, agent_id, enqueued_at, created_at,
                           connected_at, completed_at, ended_at)
     SELECT 'replay-' || r.i, 'voice', 'sales', cu.id, '+1555' || lpad((r.h1 % 10000000)::text, 7, '0'),
            jsonb_build_object('intent', (ARRAY['billing', 'sales', 'support'])[1 + r.h1 % 3]), 0, '{}',
            'ended', CASE WHEN r.h2 % 20 = 0 THEN 'abandoned' ELSE 'hangup' END,
            CASE WHEN r.h3 % 10 < 3 THEN la.id END,
            CASE WHEN r.h3 % 10 < 3 THEN r.arrived - interval '3 days' END,
            CASE WHEN r.h2 % 20 <> 0 THEN ag.id END,
            r.arrived, r.arrived,
            CASE WHEN r.h2 % 20 <> 0 THEN r.arrived + (r.h3 % 40) * interval '1 second' END,
            CASE WHEN r.h2 % 20 <> 0 THEN r.arrived + (r.h3 % 40 + 45 + r.h1 % 120) * interval '1 second' END,
            r.arrived + CASE WHEN r.h2 % 20 = 0 THEN (30 + r.h1 % 90) ELSE r.h3 % 40 + 45 + r.h1 % 120 END
                        * interval '1 second'
       FROM r
       JOIN cu ON cu.n = 1 + r.h1 % $3
       JOIN ag ON ag.n = 1 + r.h2 % $4
       JOIN ag la ON la.n = 1 + r.h3 % $4`,
    [DAY, CONTACTS, customers, AGENTS],
  );
  await database.query(
    `INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at,
                         resolved_at)
     SELECT c.id, c.agent_id, 'sales', 'voice', 'accepted',
            CASE WHEN c.sticky_agent_id = c.agent_id THEN 'sticky' ELSE 'skills' END, 'seeded',
            c.connected_at, c.connected_at + interval '20 seconds', c.connected_at
       FROM contacts c WHERE c.agent_id IS NOT NULL`,
  );
  await database.query(`ANALYZE`);
}

async function main(): Promise<void> {
  const database = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_replay');
  await database.migrate();
  const seeding = performance.now();
  await seed(database);
  const seedSeconds = (performance.now() - seeding) / 1000;
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-replay-'));
  try {
    const tether = await startStandalone({ databaseUrl: database.url, dataDir });
    const live = await admin<Record<string, unknown>>(tether.adminUrl, 'GET', '/v1/lines/sales/routing');
    const { line: _l, version: _v, updatedAt: _u, warnings: _w, ...rules } = live;
    await admin(tether.adminUrl, 'PUT', '/v1/lines/sales/routing', {
      ...rules,
      intents: { billing: { skills: { billing: 5 } } },
    });
    await admin(tether.adminUrl, 'PUT', '/v1/lines/sales/routing/draft', {
      ...rules,
      intents: { billing: { skills: { billing: 5 } } },
      rules: [
        { name: 'vip', when: { attributes: { segment: ['vip'] } }, priority: 10 },
        {
          name: 'billing',
          when: { intent: ['billing'] },
          stages: [{ seconds: 30, skills: { billing: 7 } }, {}],
        },
      ],
    });
    header(
      `replay: ${CONTACTS} contacts of one day on sales, ${AGENTS} agents (seeded in ${seedSeconds.toFixed(1)} s)`,
    );
    const table: string[][] = [
      ['run', 'seconds (HTTP)', 'seconds (server)', 'contacts/s', 'peak RSS MB', 'changed'],
    ];
    const results: unknown[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const rss = new RssSampler(tether.process.pid);
      rss.start();
      const started = performance.now();
      const report = await admin<{
        contacts: number;
        changed: number;
        changedBy: Record<string, number>;
        baseline: { waitSeconds: { mean: number; p90: number } | null; serviceLevel: number | null };
        draft: { waitSeconds: { mean: number; p90: number } | null; serviceLevel: number | null };
        recorded: { waitSeconds: { mean: number; p90: number } | null; serviceLevel: number | null };
        calibration: {
          meanWaitSeconds: number | null;
          serviceLevel: number | null;
          sameAgent: number | null;
        };
        elapsedMs: number;
      }>(tether.adminUrl, 'POST', '/v1/lines/sales/routing/replay', {
        from: DAY,
        to: new Date(new Date(DAY).getTime() + 86_400_000).toISOString(),
        draft: true,
      });
      const seconds = (performance.now() - started) / 1000;
      const { peakRssMb } = rss.stop();
      if (report.contacts !== CONTACTS)
        throw new Error(`replayed ${report.contacts} contacts, seeded ${CONTACTS}`);
      table.push([
        String(run),
        seconds.toFixed(1),
        (report.elapsedMs / 1000).toFixed(1),
        Math.round(report.contacts / seconds).toString(),
        String(peakRssMb),
        String(report.changed),
      ]);
      console.log(
        `run ${run}: waits mean/p90 recorded ${JSON.stringify(report.recorded.waitSeconds)}, baseline ` +
          `${JSON.stringify(report.baseline.waitSeconds)}, draft ${JSON.stringify(report.draft.waitSeconds)}; ` +
          `service level recorded ${report.recorded.serviceLevel}, baseline ${report.baseline.serviceLevel}, ` +
          `draft ${report.draft.serviceLevel}; changed by ${JSON.stringify(report.changedBy)}; ` +
          `calibration ${JSON.stringify(report.calibration)}`,
      );
      results.push({ run, seconds, contactsPerSecond: report.contacts / seconds, peakRssMb, report });
    }
    printTable(table);
    writeJson(args.string('json'), { contacts: CONTACTS, agents: AGENTS, seedSeconds, runs: results });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
