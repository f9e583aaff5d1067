import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rows, Sql } from '@tether/persistence';
import type { SupervisorLiveMetricsPayload } from '@tether/realtime';
import { bucketSql, CheckedReportQuery, checkReportQuery, percent, ratio } from './report-query';
import {
  AgentReportRow,
  ContactFigures,
  DEFAULT_REPEAT_DAYS,
  DEFAULT_SERVICE_LEVEL_SECONDS,
  IncidentReportRow,
  LineReportRow,
  ReportPage,
  ReportQuery,
} from './report.types';

/** Each line's own service-level target, read once per line (not once per contact row). */
const LINE_TARGETS = `(SELECT l.line, (l.rules #>> '{serviceLevel,seconds}')::int AS sl_seconds FROM line_routing l)`;

/** The aggregates behind ContactFigures, over `f` (tether_report_facts rows) joined to `lr` and `s`. */
const FIGURES_SQL = `
  max(coalesce($4::int, lr.sl_seconds, ${DEFAULT_SERVICE_LEVEL_SECONDS}))::int AS sl_target,
  count(f.contact_id)::int AS offered,
  count(f.connected_at)::int AS answered,
  count(f.abandoned_at)::int AS abandoned,
  (count(*) FILTER (WHERE f.abandoned_in_offer))::int AS abandoned_in_offer,
  avg(extract(epoch FROM f.abandoned_at - f.arrived_at))::float8 AS abandon_s,
  (count(*) FILTER (WHERE f.connected_at <= f.arrived_at + make_interval(
     secs => coalesce($4::int, lr.sl_seconds, ${DEFAULT_SERVICE_LEVEL_SECONDS}))))::int
     AS within_target,
  avg(extract(epoch FROM f.connected_at - f.arrived_at))::float8 AS asa_s,
  avg(extract(epoch FROM f.completed_at - f.connected_at))::float8 AS aht_s,
  max(extract(epoch FROM coalesce(f.connected_at, f.abandoned_at) - f.arrived_at))::float8 AS longest_s,
  coalesce(sum(f.transfers), 0)::int AS transfers,
  (count(*) FILTER (WHERE f.reason = 'sticky'))::int AS sticky,
  (avg(extract(epoch FROM f.connected_at - f.arrived_at)) FILTER (WHERE f.reason = 'sticky'))::float8 AS sticky_asa_s,
  (count(*) FILTER (WHERE f.reason = 'case_owner'))::int AS case_owner,
  (avg(extract(epoch FROM f.connected_at - f.arrived_at)) FILTER (WHERE f.reason = 'case_owner'))::float8
     AS case_owner_asa_s,
  (count(*) FILTER (WHERE f.repeat_eligible))::int AS repeat_eligible,
  (count(*) FILTER (WHERE f.repeated))::int AS repeats,
  (count(*) FILTER (WHERE f.repeat_eligible AND f.connected_at IS NOT NULL))::int AS fcr_base,
  (count(*) FILTER (WHERE f.repeat_eligible AND f.connected_at IS NOT NULL AND NOT f.repeated))::int AS fcr,
  count(s.id)::int AS csat_n,
  avg(s.score::numeric / s.scale)::float8 AS csat`;

interface FiguresRow {
  bucket: Date;
  sl_target: number | null;
  offered: number;
  answered: number;
  abandoned: number;
  abandoned_in_offer: number;
  abandon_s: number | null;
  within_target: number;
  asa_s: number | null;
  aht_s: number | null;
  longest_s: number | null;
  transfers: number;
  sticky: number;
  sticky_asa_s: number | null;
  case_owner: number;
  case_owner_asa_s: number | null;
  repeat_eligible: number;
  repeats: number;
  fcr_base: number;
  fcr: number;
  csat_n: number;
  csat: number | null;
}

const seconds = (value: number | null): number | null =>
  value === null ? null : Math.round(value * 10) / 10;

/** One row's figures, the rates derived from its counts. */
export function toFigures(row: FiguresRow, serviceLevelSeconds?: number): ContactFigures {
  return {
    offered: row.offered,
    answered: row.answered,
    abandoned: row.abandoned,
    abandonedDuringOffer: row.abandoned_in_offer,
    avgTimeToAbandonSeconds: seconds(row.abandon_s),
    serviceLevelTargetSeconds: row.sl_target ?? serviceLevelSeconds ?? DEFAULT_SERVICE_LEVEL_SECONDS,
    answeredWithinTarget: row.within_target,
    serviceLevel: percent(row.within_target, row.answered + row.abandoned),
    asaSeconds: seconds(row.asa_s),
    ahtSeconds: seconds(row.aht_s),
    longestWaitSeconds: seconds(row.longest_s),
    transfers: row.transfers,
    transfersPerContact: ratio(row.transfers, row.answered),
    stickyHits: row.sticky,
    stickyHitRate: percent(row.sticky, row.answered),
    stickyAsaSeconds: seconds(row.sticky_asa_s),
    caseOwnerHits: row.case_owner,
    caseOwnerHitRate: percent(row.case_owner, row.answered),
    caseOwnerAsaSeconds: seconds(row.case_owner_asa_s),
    repeatEligible: row.repeat_eligible,
    repeats: row.repeats,
    repeatContactRate: percent(row.repeats, row.repeat_eligible),
    firstContactResolution: percent(row.fcr, row.fcr_base),
    csatResponses: row.csat_n,
    csatScore: row.csat === null ? null : Math.round(row.csat * 1000) / 10,
  };
}

/**
 * Outcome reports over the contact event history (contact_events, through tether_report_facts: the rollup's folded
 * rows before its watermark, the events folded live after it): per line and
 * channel, per agent, per incident, per time bucket. Every figure is computed from the events of the contacts that
 * arrived in the range, so a report is the same whenever it is asked once those contacts are done.
 */
@Injectable()
export class ReportService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async lines(query: ReportQuery): Promise<ReportPage<LineReportRow>> {
    const q = checkReportQuery(query);
    const found = await this.read((sql, until) =>
      rows<FiguresRow & { line: string; channel: string }>(
        sql,
        `SELECT ${bucketSql(q.bucket, 'f.arrived_at')} AS bucket, f.line, f.channel, ${FIGURES_SQL}
         FROM tether_report_facts_until($1, $2, $3, $9::timestamptz) f
         LEFT JOIN ${LINE_TARGETS} lr ON lr.line = f.line
         LEFT JOIN surveys s ON s.contact_id = f.contact_id
        WHERE ($5::text IS NULL OR f.line = $5) AND ($6::text IS NULL OR f.channel = $6)
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT $7 OFFSET $8`,
        [...this.common(q), q.line ?? null, q.channel ?? null, ...this.window(q), until],
      ),
    );
    return this.page(q, found, (row) => ({
      bucket: row.bucket.toISOString(),
      line: row.line,
      channel: row.channel,
      ...toFigures(row, q.serviceLevelSeconds),
    }));
  }

  /**
   * Per agent: the figures of the contacts the agent answered (first), plus the offers made to them, rejected,
   * let expire, and the contacts they transferred on (bucketed by when that happened).
   */
  async agents(query: ReportQuery): Promise<ReportPage<AgentReportRow>> {
    const q = checkReportQuery(query);
    const found = await this.read((sql, until) =>
      rows<
        FiguresRow & {
          agent_id: string;
          offers: number;
          rejected: number;
          expired: number;
          transfers_out: number;
          handling_s: number;
          staffed_s: number;
        }
      >(
        sql,
        `WITH answered AS (
         SELECT ${bucketSql(q.bucket, 'f.arrived_at')} AS bucket, f.agent_id, ${FIGURES_SQL}
           FROM tether_report_facts_until($1, $2, $3, $10::timestamptz) f
           LEFT JOIN ${LINE_TARGETS} lr ON lr.line = f.line
           LEFT JOIN surveys s ON s.contact_id = f.contact_id
          WHERE f.agent_id IS NOT NULL AND ($5::uuid IS NULL OR f.agent_id = $5)
            AND ($6::text IS NULL OR f.line = $6)
          GROUP BY 1, 2
       ), offers AS (
         SELECT ${bucketSql(q.bucket, 'e.at')} AS bucket, e.agent_id,
                coalesce(sum(e.n) FILTER (WHERE e.kind = 'offered'), 0)::int AS offers,
                coalesce(sum(e.n) FILTER (WHERE e.kind = 'rejected'), 0)::int AS rejected,
                coalesce(sum(e.n) FILTER (WHERE e.kind = 'expired'), 0)::int AS expired,
                coalesce(sum(e.n) FILTER (WHERE e.kind = 'transferred'), 0)::int AS transfers_out
           FROM tether_event_counts_by_bucket($1, $2, $9) e
          WHERE e.agent_id IS NOT NULL AND e.kind IN ('offered', 'rejected', 'expired', 'transferred')
            AND ($5::uuid IS NULL OR e.agent_id = $5) AND ($6::text IS NULL OR e.line = $6)
          GROUP BY 1, 2
       ), occupancy AS (
         SELECT p.bucket, p.agent_id, p.handling_s, p.staffed_s
           FROM tether_agent_occupancy($1, $2, $9, $6) p
          WHERE ($5::uuid IS NULL OR p.agent_id = $5)
       ), agent_buckets AS (
         SELECT bucket, agent_id FROM answered
         UNION SELECT bucket, agent_id FROM offers
         UNION SELECT bucket, agent_id FROM occupancy
       )
       SELECT a.*, k.bucket, k.agent_id, coalesce(o.offers, 0) AS offers,
              coalesce(o.rejected, 0) AS rejected, coalesce(o.expired, 0) AS expired,
              coalesce(o.transfers_out, 0) AS transfers_out,
              coalesce(p.handling_s, 0) AS handling_s, coalesce(p.staffed_s, 0) AS staffed_s
         FROM agent_buckets k
         LEFT JOIN answered a ON a.bucket = k.bucket AND a.agent_id = k.agent_id
         LEFT JOIN offers o ON o.bucket = k.bucket AND o.agent_id = k.agent_id
         LEFT JOIN occupancy p ON p.bucket = k.bucket AND p.agent_id = k.agent_id
        ORDER BY k.bucket, k.agent_id LIMIT $7 OFFSET $8`,
        [...this.common(q), q.agentId ?? null, q.line ?? null, ...this.window(q), q.bucket, until],
      ),
    );
    return this.page(q, found, (row) => ({
      bucket: row.bucket.toISOString(),
      agentId: row.agent_id,
      offers: row.offers,
      rejected: row.rejected,
      expired: row.expired,
      transfersOut: row.transfers_out,
      handlingSeconds: seconds(row.handling_s)!,
      staffedSeconds: seconds(row.staffed_s)!,
      occupancy: percent(row.handling_s, row.staffed_s),
      ...toFigures(zeroed(row), q.serviceLevelSeconds),
    }));
  }

  /** Per incident: the figures of the contacts linked to it, and the notices sent to its affected customers. */
  async incidents(query: ReportQuery): Promise<ReportPage<IncidentReportRow>> {
    const q = checkReportQuery(query);
    const found = await this.read((sql, until) =>
      rows<FiguresRow & { incident_id: string; notices: number }>(
        sql,
        `WITH linked AS (
         SELECT ${bucketSql(q.bucket, 'f.arrived_at')} AS bucket, f.incident_id, ${FIGURES_SQL}
           FROM tether_report_facts_until($1, $2, $3, $9::timestamptz) f
           LEFT JOIN ${LINE_TARGETS} lr ON lr.line = f.line
           LEFT JOIN surveys s ON s.contact_id = f.contact_id
          WHERE f.incident_id IS NOT NULL AND ($5::uuid IS NULL OR f.incident_id = $5)
          GROUP BY 1, 2
       ), notices AS (
         SELECT ${bucketSql(q.bucket, 'e.at')} AS bucket, e.incident_id, sum(e.n)::int AS notices
           FROM tether_event_counts_by_bucket($1, $2, $8) e
          WHERE e.kind = 'notified' AND ($5::uuid IS NULL OR e.incident_id = $5)
          GROUP BY 1, 2
       )
       SELECT l.*, coalesce(l.bucket, n.bucket) AS bucket, coalesce(l.incident_id, n.incident_id) AS incident_id,
              coalesce(n.notices, 0) AS notices
         FROM linked l FULL JOIN notices n ON n.bucket = l.bucket AND n.incident_id = l.incident_id
        ORDER BY 1, 2 LIMIT $6 OFFSET $7`,
        [...this.common(q), q.incidentId ?? null, ...this.window(q), q.bucket, until],
      ),
    );
    return this.page(q, found, (row) => ({
      bucket: row.bucket.toISOString(),
      incidentId: row.incident_id,
      notices: row.notices,
      ...toFigures(zeroed(row), q.serviceLevelSeconds),
    }));
  }

  /**
   * The supervisors' live figures (`metrics:live`): per line, the contacts waiting now and the longest wait among
   * them, and the outcome figures of the contacts that arrived today (UTC) so far.
   */
  async live(now = new Date()): Promise<SupervisorLiveMetricsPayload> {
    const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const [waiting, today] = await Promise.all([
      rows<{ line: string; waiting: number; longest_s: number | null }>(
        this.db,
        `SELECT l.name AS line, count(c.id)::int AS waiting,
                extract(epoch FROM now() - min(c.enqueued_at))::float8 AS longest_s
           FROM lines l LEFT JOIN contacts c ON c.line = l.name AND c.status = 'queued'
          GROUP BY l.name ORDER BY l.name`,
      ),
      this.read((sql, until) =>
        rows<FiguresRow & { line: string }>(
          sql,
          `SELECT f.line, ${FIGURES_SQL}
           FROM tether_report_facts_until($1, $2, $3, $5::timestamptz) f
           LEFT JOIN ${LINE_TARGETS} lr ON lr.line = f.line
           LEFT JOIN surveys s ON s.contact_id = f.contact_id
          GROUP BY f.line`,
          [midnight, new Date(now.getTime() + 1000), DEFAULT_REPEAT_DAYS, null, until],
        ),
      ),
    ]);
    const byLine = new Map(today.map((row) => [row.line, toFigures(row)]));
    return {
      at: now.toISOString(),
      lines: waiting.map((row) => {
        const figures = byLine.get(row.line);
        return {
          line: row.line,
          waiting: row.waiting,
          longestWaitingSeconds: row.waiting > 0 ? seconds(row.longest_s) : null,
          today: {
            offered: figures?.offered ?? 0,
            answered: figures?.answered ?? 0,
            abandoned: figures?.abandoned ?? 0,
            serviceLevel: figures?.serviceLevel ?? null,
            serviceLevelTargetSeconds: figures?.serviceLevelTargetSeconds ?? DEFAULT_SERVICE_LEVEL_SECONDS,
            asaSeconds: figures?.asaSeconds ?? null,
            ahtSeconds: figures?.ahtSeconds ?? null,
            longestWaitSeconds: figures?.longestWaitSeconds ?? null,
            csatScore: figures?.csatScore ?? null,
          },
        };
      }),
    };
  }

  /**
   * A report's statement, in a transaction with room to aggregate in memory, by hashing (work_mem, as
   * tether_contact_facts has: at the default 4 MB a month's folded rows were sorted on disk), given the rollup's
   * watermark (text: '-infinity' before the first fold) to pass to tether_report_facts_until as a constant: the planner
   * then sizes the folded part right (read inside the statement, it guessed a thousandth of the rows). Any watermark
   * at or before the current one gives the same figures.
   */
  private read<T>(work: (sql: Sql, until: string) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL work_mem = '64MB'`);
      // the planner cannot know how few buckets a range's contacts fall in (it guessed 19,000 for 100) and sorted a
      // month's rows to group them (1.7 s of 4 in EXPLAIN ANALYZE); hashing them costs 40% less CPU. Sorts the plan
      // cannot avoid (ORDER BY, windows) still run.
      await tx.query(`SET LOCAL enable_sort = off`);
      const [row] = await rows<{ until: string }>(
        tx,
        `SELECT coalesce(s.folded_until, '-infinity')::text AS until FROM report_rollup_state s WHERE s.id = 1`,
      );
      return work(tx, row?.until ?? '-infinity');
    });
  }

  /** $1..$4: the range, the repeat window, the service-level override */
  private common(q: CheckedReportQuery): unknown[] {
    return [q.from, q.to, q.repeatDays, q.serviceLevelSeconds ?? null];
  }

  /** one row more than the page, to know whether another follows */
  private window(q: CheckedReportQuery): unknown[] {
    return [q.pageSize + 1, (q.page - 1) * q.pageSize];
  }

  private page<Raw, Row>(q: CheckedReportQuery, found: Raw[], map: (row: Raw) => Row): ReportPage<Row> {
    return {
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      bucket: q.bucket,
      repeatDays: q.repeatDays,
      page: q.page,
      pageSize: q.pageSize,
      nextPage: found.length > q.pageSize ? q.page + 1 : null,
      rows: found.slice(0, q.pageSize).map(map),
    };
  }
}

/** a row of a FULL JOIN with no contact side (a.* comes first: the coalesced keys after it win in the row object): its counts are zero, not null */
function zeroed<Row extends FiguresRow>(row: Row): Row {
  const counts: (keyof FiguresRow)[] = [
    'offered',
    'answered',
    'abandoned',
    'abandoned_in_offer',
    'within_target',
    'transfers',
    'sticky',
    'case_owner',
    'repeat_eligible',
    'repeats',
    'fcr_base',
    'fcr',
    'csat_n',
  ];
  const copy = { ...row } as Record<string, unknown>;
  for (const key of counts) copy[key] = copy[key] ?? 0;
  return copy as Row;
}
