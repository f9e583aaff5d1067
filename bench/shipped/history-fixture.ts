/**
 * The history-size fixture: a contact centre's stored history loaded by set-based SQL into a Tether database that
 * Tether itself created and migrated (the shipped part loads it into the embedded PostgreSQL of a Tether started as
 * `npm start` starts it, then restarts that Tether on it):
 *
 *   - `agents` agents on the three lines, offline (agent_presence 'offline', a voice slot of 1): the agents the bench
 *     drives are created through the admin API on top, so "most offline";
 *   - `customers` customers, each with a phone identity (+44 20 7xxx xxxx: never one of the load generator's +1 555
 *     callers, whose calls stay first-time callers and are not routed sticky to an offline agent);
 *   - `contacts` voice and chat contacts over the 30 days before the last day (so the reports' rollup can fold all
 *     of them), about 5 per customer, 85% answered (an accepted offer, connected, ended, completed: resolved) and 15%
 *     abandoned in the queue; their contact_events are written by Tether's own triggers as the rows go in (queued,
 *     offered, connected, ended, completed / abandoned: ~3.7 events per contact);
 *   - then VACUUM ANALYZE and the reports' rollup folded up to its watermark (`tether_fold_contact_outcomes`, as the
 *     `reports.rollup` job would have folded it day by day), so the process starts on a history it has caught up with.
 *
 * Every step is timed. Personal data: synthetic (no names; numbers from a range no one is called from).
 */
import { Client } from 'pg';
import { round } from '../common/stats';

export interface HistorySize {
  contacts: number;
  customers: number;
  agents: number;
}

export interface FixtureTiming {
  step: string;
  seconds: number;
  rows?: number;
}

export async function loadHistory(
  superuserUrl: string,
  size: HistorySize,
  log: (line: string) => void = console.log,
): Promise<{ seconds: number; steps: FixtureTiming[]; events: number; tables: Record<string, number> }> {
  const client = new Client({ connectionString: superuserUrl, application_name: 'bench-history-fixture' });
  await client.connect();
  const steps: FixtureTiming[] = [];
  const started = performance.now();
  const timed = async (step: string, sql: string): Promise<void> => {
    const from = performance.now();
    const result = await client.query(sql);
    const seconds = round((performance.now() - from) / 1000, 1);
    const rows = result.rowCount ?? undefined;
    steps.push({ step, seconds, rows: rows ?? undefined });
    log(
      `  history fixture: ${step}: ${rows !== null && rows !== undefined ? `${rows} rows, ` : ''}${seconds} s`,
    );
  };
  try {
    const { contacts, customers, agents } = size;
    // one session, no synchronous commit wait per statement (a bulk load; Tether's own sessions are unchanged)
    await client.query('SET synchronous_commit = off');
    await client.query(`SET work_mem = '256MB'`);
    await timed(
      'agents',
      `INSERT INTO agents (id, name, lines, capacity)
       SELECT md5('hist-agent-' || i)::uuid, 'history agent ' || i,
              ARRAY[(ARRAY['sales', 'presales', 'service'])[1 + i % 3]], '{"voice":1}'
         FROM generate_series(1, ${agents}) i`,
    );
    await timed(
      'agent_presence (offline)',
      `INSERT INTO agent_presence (agent_id, state, state_since, idle_since, disconnected_at)
       SELECT md5('hist-agent-' || i)::uuid, 'offline', now() - interval '1 day', now() - interval '1 day',
              now() - interval '1 day'
         FROM generate_series(1, ${agents}) i`,
    );
    await timed(
      'agent_slots',
      `INSERT INTO agent_slots (agent_id, channel, capacity, used)
       SELECT md5('hist-agent-' || i)::uuid, 'voice', 1, 0 FROM generate_series(1, ${agents}) i`,
    );
    await timed(
      'customers',
      `INSERT INTO customers (id, known, created_at, updated_at)
       SELECT md5('hist-customer-' || i)::uuid, i % 4 = 0, now() - interval '60 days', now() - interval '60 days'
         FROM generate_series(1, ${customers}) i`,
    );
    await timed(
      'customer_identities (phone)',
      `INSERT INTO customer_identities (kind, value, customer_id, created_at)
       SELECT 'phone', '+44207' || lpad(i::text, 7, '0'), md5('hist-customer-' || i)::uuid, now() - interval '60 days'
         FROM generate_series(1, ${customers}) i`,
    );
    // arrivals spread evenly over the 30 days that end a day and an hour ago (the rollup folds up to a day behind)
    await client.query(`
      CREATE TEMP TABLE hist AS
      SELECT md5('hist-contact-' || i)::uuid AS id,
             'hist-' || i AS external_id,
             CASE WHEN i % 5 = 0 THEN 'chat' ELSE 'voice' END AS channel,
             (ARRAY['sales', 'presales', 'service'])[1 + i % 3] AS line,
             1 + (i::bigint * 7919) % ${customers} AS customer, -- bigint: 1,000,000 × 7919 is past int4
             md5('hist-agent-' || (1 + (i * 31) % ${agents}))::uuid AS agent,
             now() - interval '31 days 1 hour' + (i * interval '30 days' / ${contacts}) AS at0,
             (i * 37) % 100 AS r,
             (i * 13) % 60 AS wait
        FROM generate_series(1, ${contacts}) i`);
    await timed(
      'contacts (+ their events by trigger)',
      `INSERT INTO contacts (id, external_id, channel, line, customer_id, from_address, to_address, status,
                             end_reason, agent_id, resolution, enqueued_at, offered_at, connected_at, answered_at,
                             ended_at, completed_at, created_at, last_agent_at, routed_line)
       SELECT h.id, h.external_id, h.channel, h.line, md5('hist-customer-' || h.customer)::uuid,
              '+44207' || lpad(h.customer::text, 7, '0'), '+15550000001', 'ended',
              CASE WHEN h.r >= 85 THEN 'caller_hung_up' ELSE 'completed' END,
              CASE WHEN h.r < 85 THEN h.agent END,
              CASE WHEN h.r < 85 THEN 'resolved' END,
              h.at0,
              CASE WHEN h.r < 85 THEN h.at0 + interval '1 s' END,
              CASE WHEN h.r < 85 THEN h.at0 + make_interval(secs => h.wait + 2) END,
              CASE WHEN h.r < 85 THEN h.at0 + make_interval(secs => h.wait + 2) END,
              h.at0 + make_interval(secs => h.wait + CASE WHEN h.r < 85 THEN 182 ELSE 0 END),
              CASE WHEN h.r < 85 THEN h.at0 + make_interval(secs => h.wait + 242) END,
              h.at0,
              CASE WHEN h.r < 85 THEN h.at0 + make_interval(secs => h.wait + 2) END,
              h.line
         FROM hist h ORDER BY h.at0`,
    );
    await timed(
      'offers (accepted; + their events by trigger)',
      `INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, created_at, expires_at,
                           resolved_at)
       SELECT h.id, h.agent, h.line, h.channel, 'accepted', 'skills', '', h.at0 + interval '1 s',
              h.at0 + interval '21 s', h.at0 + make_interval(secs => h.wait + 2)
         FROM hist h WHERE h.r < 85 ORDER BY h.at0`,
    );
    await client.query('DROP TABLE hist');
    for (const table of [
      'agents',
      'agent_presence',
      'agent_slots',
      'customers',
      'customer_identities',
      'contacts',
      'offers',
      'contact_events',
    ])
      await timed(`VACUUM ANALYZE ${table}`, `VACUUM ANALYZE ${table}`);
    // the reports' rollup, caught up: its watermark back to the history's start, then folded a day per step up to a
    // day and a quarter behind now, as ReportRollupService would have folded it while the history was being made
    const foldFrom = performance.now();
    await client.query(`UPDATE report_rollup_state SET folded_until = NULL WHERE id = 1`);
    let folded = 0;
    for (;;) {
      const { rows } = await client.query<{ folded: number; more: boolean }>(
        `SELECT * FROM tether_fold_contact_outcomes(
           date_bin('15 minutes', now() - interval '1 day 15 minutes', timestamptz '2000-01-03 00:00:00+00'),
           interval '1 day')`,
      );
      folded += rows[0].folded;
      if (!rows[0].more) break;
    }
    steps.push({
      step: 'reports rollup folded',
      seconds: round((performance.now() - foldFrom) / 1000, 1),
      rows: folded,
    });
    log(`  history fixture: reports rollup folded: ${folded} contacts, ${steps[steps.length - 1].seconds} s`);
    const counts = await client.query<{ table: string; n: string }>(
      `SELECT 'contacts' AS table, count(*) AS n FROM contacts UNION ALL
       SELECT 'contact_events', count(*) FROM contact_events UNION ALL
       SELECT 'offers', count(*) FROM offers UNION ALL
       SELECT 'customers', count(*) FROM customers UNION ALL
       SELECT 'customer_identities', count(*) FROM customer_identities UNION ALL
       SELECT 'agents', count(*) FROM agents UNION ALL
       SELECT 'contact_outcomes', count(*) FROM contact_outcomes`,
    );
    const tables = Object.fromEntries(counts.rows.map((row) => [row.table, Number(row.n)]));
    return {
      seconds: round((performance.now() - started) / 1000, 1),
      steps,
      events: tables.contact_events ?? 0,
      tables,
    };
  } finally {
    await client.end();
  }
}
