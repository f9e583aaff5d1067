/**
 * What moving a contact's live state out of `contacts` would save PostgreSQL, measured before building it (issue 11:
 * "Split the live state out of contacts into a small table updated in place (fillfactor, HOT)").
 *
 * Every transition of a contact (offered, connected, completed) changes a column that one of `contacts`' indexes
 * holds in its key or its predicate (status, agent_id, work_open, connected_at, completed_at), so none of them is a
 * HOT update: each writes a new entry into every index of the table. The split would keep `contacts` insert-mostly
 * and updated HOT, and put what those indexes serve (the queue, an agent's open work, the caller's last agent) in
 * small tables of their own. This part runs the lifecycle's four writes of a contact, with the SET lists of
 * tether_receive_call, tether_commit_offers, tether_accept_offer and tether_complete_contact, on three tables made in
 * one database from the migrated `contacts` table, over the same stored history:
 *
 *   as-is   `CREATE TABLE ... (LIKE contacts INCLUDING ALL)`: today's columns, indexes and checks;
 *   hot     the same columns, fillfactor 80, and only the indexes the lifecycle's writes leave unchanged (read from
 *           pg_indexes: those not naming a column the lifecycle changes): every update HOT. What the split could
 *           save at most, its own tables free;
 *   split   `hot` plus what the split must write besides: a narrow `contact_live` row (status, queue order, agent,
 *           work_open; the queue's and an agent's open work's partial indexes) inserted at arrival, updated at the
 *           offer and the accept and deleted at completion, and the caller's last agent per line upserted at the
 *           accept (what `contacts_last_agent` serves). Each step one statement, as each is one function call today;
 *   split-lean  `split` without the last agent's table (the caller's last agent read from `contacts_customer`
 *           instead): the least the split can write.
 *
 * Alternating rounds (`--rounds` 3, `--seconds` 8 each) with one client and with `--clients` (4) concurrent ones,
 * every statement prepared, synchronous commit as Tether has it. Per variant: lifecycles/s, PostgreSQL's CPU per
 * lifecycle (its processes' ticks, 10 ms resolution), WAL bytes per lifecycle, HOT updates as a share of updates;
 * ratios to `as-is` from the same round. The history (`--history` 200,000 ended contacts) is loaded into all three
 * before the first round. Not the whole lifecycle: the functions' other statements (about 45 per lifecycle, bench
 * README "Session 12") are the same in every variant and left out, so the ratio here overstates the share of the
 * whole; the README puts the difference per lifecycle beside PostgreSQL's whole cost.
 *
 * Run through `npm run bench -- hot-updates` (only when named).
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { BenchArgs, header, serverDatabaseUrl, writeJson } from '../common/bench-cli';
import { BenchDatabase } from '../common/bench-database';
import { runBench } from '../common/bench-main';
import { CpuMeter } from '../common/proc-stats';
import { fmt, median, printTable, round } from '../common/stats';

const args = new BenchArgs();
const ROUNDS = args.number('rounds', 3);
const SECONDS = args.number('seconds', 8);
const CLIENTS = args.number('clients', 4);
const HISTORY = args.number('history', 200_000);

/** columns the lifecycle's writes change (the SET lists below); an index naming one blocks HOT for that write */
const CHANGED_COLUMNS = [
  'status',
  'offered_agent_id',
  'offered_at',
  'agent_id',
  'work_open',
  'connected_at',
  'completed_at',
  'resolution',
  'notes',
  'ended_at',
  'end_reason',
  'routing_trace',
];

type Variant = 'as-is' | 'hot' | 'split' | 'split-lean';
const VARIANTS: Variant[] = ['as-is', 'hot', 'split', 'split-lean'];
const TABLE: Record<Variant, string> = {
  'as-is': 'contacts_as_is',
  hot: 'contacts_hot',
  split: 'contacts_split',
  'split-lean': 'contacts_split_lean',
};

interface Statements {
  arrive: string;
  offer: string;
  accept: string;
  complete: string;
}

const TRACE = `'[{"at": 1, "text": "x"}]'::jsonb`;

function statements(variant: Variant): Statements {
  const t = TABLE[variant];
  const arrive = `INSERT INTO ${t} (external_id, channel, line, customer_id, from_address, to_address, ivr, priority,
      required_skills, status, routing_trace)
    VALUES ($1, 'voice', 'sales', $2, '+15550001234', '+15550000001', '{"intent": "billing"}', 0, '{}', 'queued',
      ${TRACE}) RETURNING id, enqueued_at`;
  const offer = `UPDATE ${t} c SET status = 'offered', offered_agent_id = $2, offered_at = now(),
      routing_trace = c.routing_trace || ${TRACE} WHERE c.id = $1 AND c.status = 'queued'`;
  const accept = `UPDATE ${t} c SET status = 'connected', agent_id = $2, offered_agent_id = NULL, work_open = true,
      connected_at = now(), transfer_id = NULL, routing_trace = c.routing_trace || ${TRACE} WHERE c.id = $1
      RETURNING c.customer_id, c.line`;
  const complete = `UPDATE ${t} x SET work_open = false, resolution = 'resolved', notes = NULL, completed_at = now(),
      status = 'ended', ended_at = coalesce(x.ended_at, now()), end_reason = coalesce(x.end_reason, 'completed'),
      routing_trace = x.routing_trace || ${TRACE} WHERE x.id = $1`;
  if (variant === 'as-is' || variant === 'hot') return { arrive, offer, accept, complete };
  const acceptWithId = accept.replace(
    'RETURNING c.customer_id, c.line',
    'RETURNING c.id, c.customer_id, c.line',
  );
  return {
    arrive: `WITH c AS (${arrive})
      INSERT INTO contact_live (contact_id, line, status, priority, enqueued_at)
      SELECT c.id, 'sales', 'queued', 0, c.enqueued_at FROM c RETURNING contact_id AS id`,
    offer: `WITH c AS (${offer} RETURNING c.id)
      UPDATE contact_live l SET status = 'offered', agent_id = $2 FROM c WHERE l.contact_id = c.id`,
    accept:
      variant === 'split-lean'
        ? `WITH c AS (${acceptWithId})
      UPDATE contact_live l SET status = 'connected', agent_id = $2, work_open = true FROM c WHERE l.contact_id = c.id`
        : `WITH c AS (${acceptWithId}),
      l AS (UPDATE contact_live l SET status = 'connected', agent_id = $2, work_open = true FROM c
             WHERE l.contact_id = c.id)
      INSERT INTO customer_last_agent (customer_id, line, agent_id, connected_at)
      SELECT c.customer_id, c.line, $2, now() FROM c
      ON CONFLICT (customer_id, line) DO UPDATE SET agent_id = excluded.agent_id, connected_at = excluded.connected_at`,
    complete: `WITH c AS (${complete} RETURNING x.id) DELETE FROM contact_live l USING c WHERE l.contact_id = c.id`,
  };
}

async function createTables(database: BenchDatabase): Promise<string[]> {
  await database.query(`CREATE TABLE contacts_as_is (LIKE contacts INCLUDING ALL)`);
  // the indexes the lifecycle's writes leave alone: no changed column in their key or predicate
  const indexes = await database.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'contacts'`,
  );
  const changed = new RegExp(`\\b(${CHANGED_COLUMNS.join('|')})\\b`);
  const kept = indexes.filter((i) => !changed.test(i.indexdef.replace(/^.*? USING /, '')));
  const dropped = indexes.filter((i) => !kept.includes(i)).map((i) => i.indexname);
  for (const table of ['contacts_hot', 'contacts_split', 'contacts_split_lean']) {
    await database.query(
      `CREATE TABLE ${table} (LIKE contacts INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)
         WITH (fillfactor = 80)`,
    );
    for (const index of kept) {
      const definition = index.indexdef
        .replace(/^CREATE (UNIQUE )?INDEX \S+ ON public\.contacts /, `CREATE $1INDEX ON ${table} `)
        .replace(/^CREATE (UNIQUE )?INDEX \S+ ON ONLY public\.contacts /, `CREATE $1INDEX ON ${table} `);
      await database.query(definition);
    }
  }
  await database.query(`CREATE TABLE contact_live (
      contact_id uuid PRIMARY KEY, line text NOT NULL, status text NOT NULL, priority int NOT NULL,
      enqueued_at timestamptz NOT NULL, agent_id uuid, work_open boolean NOT NULL DEFAULT false
    ) WITH (fillfactor = 80)`);
  await database.query(
    `CREATE INDEX contact_live_waiting ON contact_live (line, priority DESC, enqueued_at) WHERE status = 'queued'`,
  );
  await database.query(`CREATE INDEX contact_live_agent_open ON contact_live (agent_id) WHERE work_open`);
  await database.query(`CREATE TABLE customer_last_agent (
      customer_id uuid NOT NULL, line text NOT NULL, agent_id uuid NOT NULL, connected_at timestamptz NOT NULL,
      PRIMARY KEY (customer_id, line)
    ) WITH (fillfactor = 80)`);
  return dropped;
}

async function loadHistory(database: BenchDatabase): Promise<void> {
  // ended contacts of 40,000 callers over the last 30 days, as every variant stores them
  await database.query(
    `INSERT INTO contacts_as_is (external_id, channel, line, customer_id, from_address, to_address, ivr, priority,
        status, agent_id, connected_at, completed_at, ended_at, end_reason, resolution, work_open, created_at,
        enqueued_at, routing_trace)
     SELECT 'h-' || g, 'voice', 'sales', ('00000000-0000-4000-8000-' || lpad(to_hex(g % 40000), 12, '0'))::uuid,
            '+1555' || lpad((g % 40000)::text, 7, '0'), '+15550000001', '{}', 0, 'ended',
            ('00000000-0000-4000-9000-' || lpad(to_hex(g % 200), 12, '0'))::uuid, t, t + interval '4 minutes',
            t + interval '4 minutes', 'completed', 'resolved', false, t, t,
            '[{"at": 1, "text": "queued"}, {"at": 2, "text": "offered"}, {"at": 3, "text": "accepted"}]'
       FROM generate_series(1, $1::int) g, LATERAL (SELECT now() - (g || ' seconds')::interval * 12 AS t) tt`,
    [HISTORY],
  );
  await database.query(`INSERT INTO contacts_hot SELECT * FROM contacts_as_is`);
  await database.query(`INSERT INTO contacts_split SELECT * FROM contacts_as_is`);
  await database.query(`INSERT INTO contacts_split_lean SELECT * FROM contacts_as_is`);
  await database.query(
    `INSERT INTO customer_last_agent SELECT DISTINCT ON (customer_id) customer_id, line, agent_id, connected_at
       FROM contacts_as_is ORDER BY customer_id, connected_at DESC`,
  );
  await database.query('VACUUM ANALYZE');
}

interface Measured {
  variant: Variant;
  clients: number;
  round: number;
  lifecycles: number;
  lifecyclesPerSecond: number;
  postgresCpuMsPerLifecycle: number;
  walBytesPerLifecycle: number;
  hotShare: number;
}

let runCounter = 0;

async function lifecycles(client: Client, variant: Variant, until: number): Promise<number> {
  const s = statements(variant);
  const tag = `${variant}-${runCounter++}`;
  let done = 0;
  while (performance.now() < until) {
    const n = `${tag}-${done}`;
    const customer = `00000000-0000-4000-8000-${(done % 40000).toString(16).padStart(12, '0')}`;
    const agent = `00000000-0000-4000-9000-${(done % 200).toString(16).padStart(12, '0')}`;
    const arrived = await client.query<{ id: string }>({
      name: `${variant}-arrive`,
      text: s.arrive,
      values: [n, customer],
    });
    const id = arrived.rows[0].id;
    await client.query({ name: `${variant}-offer`, text: s.offer, values: [id, agent] });
    await client.query({ name: `${variant}-accept`, text: s.accept, values: [id, agent] });
    await client.query({ name: `${variant}-complete`, text: s.complete, values: [id] });
    done++;
  }
  return done;
}

async function measure(
  database: BenchDatabase,
  variant: Variant,
  clients: number,
  round_: number,
): Promise<Measured> {
  const connections = await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      return client;
    }),
  );
  try {
    const table = TABLE[variant];
    const stat = async () => {
      const [row] = await database.query<{ upd: string; hot: string; lsn: string }>(
        `SELECT pg_stat_get_tuples_updated('${table}'::regclass) + pg_stat_get_xact_tuples_updated('${table}'::regclass) AS upd,
                pg_stat_get_tuples_hot_updated('${table}'::regclass) AS hot, pg_current_wal_lsn()::text AS lsn`,
      );
      return row;
    };
    // warm: every statement prepared on every connection, its pages in the cache
    await Promise.all(connections.map((c) => lifecycles(c, variant, performance.now() + 300)));
    const before = await stat();
    const cpu = new CpuMeter(await database.serverProcesses());
    cpu.start();
    const started = performance.now();
    const until = started + SECONDS * 1000;
    const counts = await Promise.all(connections.map((c) => lifecycles(c, variant, until)));
    const seconds = (performance.now() - started) / 1000;
    const { cpuSeconds } = cpu.stop();
    // the backends report their counters when idle (up to a second later)
    await Promise.all(connections.map((c) => c.end()));
    connections.length = 0;
    await new Promise((done) => setTimeout(done, 1200));
    const after = await stat();
    const done = counts.reduce((a, b) => a + b, 0);
    const [{ bytes }] = await database.query<{ bytes: string }>(`SELECT pg_wal_lsn_diff($1, $2) AS bytes`, [
      after.lsn,
      before.lsn,
    ]);
    const updated = Number(after.upd) - Number(before.upd);
    return {
      variant,
      clients,
      round: round_,
      lifecycles: done,
      lifecyclesPerSecond: round(done / seconds, 1),
      postgresCpuMsPerLifecycle: round((cpuSeconds * 1000) / done, 3),
      walBytesPerLifecycle: Math.round(Number(bytes) / done),
      hotShare: updated > 0 ? round((Number(after.hot) - Number(before.hot)) / updated, 3) : NaN,
    };
  } finally {
    await Promise.all(connections.map((c) => c.end()));
  }
}

async function main(): Promise<void> {
  const database = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_hot_updates');
  try {
    await database.migrate();
    const dropped = await createTables(database);
    const loadStarted = performance.now();
    await loadHistory(database);
    header(
      `hot updates: a contact's four lifecycle writes on contacts as-is, HOT (indexes not on changed columns), ` +
        `and HOT + the split's own tables (with and without the last agent's); ${fmt(HISTORY, 0)} stored contacts (loaded in ` +
        `${fmt((performance.now() - loadStarted) / 1000, 1)} s), ${ROUNDS} rounds x ${SECONDS} s, 1 and ${CLIENTS} clients`,
    );
    console.log(
      `indexes left out of hot/split (they name a column the lifecycle changes): ${dropped.join(', ')}`,
    );
    const results: Measured[] = [];
    for (let r = 1; r <= ROUNDS; r++)
      for (const clients of [1, CLIENTS])
        // the order rotates per round, so no variant always runs first (or right after a vacuum)
        for (let v = 0; v < VARIANTS.length; v++)
          results.push(await measure(database, VARIANTS[(v + r - 1) % VARIANTS.length], clients, r));

    const rows: string[][] = [
      [
        'clients, variant',
        'lifecycles/s',
        'x as-is',
        'PostgreSQL CPU ms / lc',
        'x as-is',
        'WAL bytes / lc',
        'x as-is',
        'HOT share of updates',
      ],
    ];
    const summary: Record<string, unknown>[] = [];
    for (const clients of [1, CLIENTS])
      for (const variant of VARIANTS) {
        const mine = results.filter((m) => m.variant === variant && m.clients === clients);
        const base = (r: number) =>
          results.find((m) => m.variant === 'as-is' && m.clients === clients && m.round === r)!;
        const ratio = (pick: (m: Measured) => number) =>
          median(mine.map((m) => pick(m) / pick(base(m.round))));
        const figures = {
          clients,
          variant,
          lifecyclesPerSecond: median(mine.map((m) => m.lifecyclesPerSecond)),
          throughputRatio: ratio((m) => m.lifecyclesPerSecond),
          postgresCpuMs: median(mine.map((m) => m.postgresCpuMsPerLifecycle)),
          cpuRatio: ratio((m) => m.postgresCpuMsPerLifecycle),
          walBytes: median(mine.map((m) => m.walBytesPerLifecycle)),
          walRatio: ratio((m) => m.walBytesPerLifecycle),
          hotShare: median(mine.map((m) => m.hotShare)),
        };
        summary.push(figures);
        rows.push([
          `${clients}, ${variant}`,
          fmt(figures.lifecyclesPerSecond, 0),
          `${fmt(figures.throughputRatio, 2)}x`,
          fmt(figures.postgresCpuMs, 3),
          `${fmt(figures.cpuRatio, 2)}x`,
          fmt(figures.walBytes, 0),
          `${fmt(figures.walRatio, 2)}x`,
          `${fmt(figures.hotShare * 100, 0)}%`,
        ]);
      }
    console.log(`medians over ${ROUNDS} rounds; ratios to as-is in the same round`);
    printTable(rows);
    writeJson(args.string('json'), { part: 'hot-updates', history: HISTORY, dropped, summary, results });
  } finally {
    await database.drop();
  }
}

runBench(main);
