import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whole days folded once more, for the reports over weeks (libs/reports, bench/README.md "Session 7"): the rollup's
 * per-quarter and per-stretch rows (event_counts, contact_handling) are still read for 15-minute buckets and the
 * range's unaligned ends; a day or week bucket reads a row per day instead.
 *
 * - `agent_day_occupancy`: each agent's handling and staffed seconds per UTC day (tether_agent_occupancy's figures
 *   for that day, exact numeric seconds): the row with `line` NULL holds the handling of any line, one row per line
 *   the agent handled that day holds that line's (the staffed time repeated).
 * - `event_day_counts`: event_counts summed per UTC day, kind, agent, line and incident.
 * - `report_rollup_state.days_from`, `days_until`: the days in between are folded in both (a day is folded by the
 *   step that moves the watermark past its end, in the same transaction; days_from is where the day folds began:
 *   the history's first day, or the watermark's day at the first fold after this migration).
 *
 * Ids and durations only (no personal data), as in contact_events.
 */
export class ReportDayRollups1764004700000 implements MigrationInterface {
  name = 'ReportDayRollups1764004700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agent_day_occupancy (
        day timestamptz NOT NULL,
        agent_id uuid NOT NULL,
        line text,
        handling_s numeric NOT NULL,
        staffed_s numeric NOT NULL
      );
      CREATE UNIQUE INDEX agent_day_occupancy_key ON agent_day_occupancy (day, agent_id, coalesce(line, ''));

      CREATE TABLE event_day_counts (
        day timestamptz NOT NULL,
        kind text NOT NULL,
        agent_id uuid,
        line text,
        incident_id uuid,
        n int NOT NULL
      );
      CREATE INDEX event_day_counts_day ON event_day_counts (day);

      ALTER TABLE report_rollup_state ADD COLUMN days_from timestamptz, ADD COLUMN days_until timestamptz;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION IF EXISTS tether_agent_occupancy_live(timestamptz, timestamptz, text, text);
      DROP FUNCTION IF EXISTS tether_event_counts_by_bucket(timestamptz, timestamptz, text);
      DROP FUNCTION IF EXISTS tether_report_facts_until(timestamptz, timestamptz, int, timestamptz);
      ALTER TABLE report_rollup_state DROP COLUMN days_from, DROP COLUMN days_until;
      DROP TABLE event_day_counts;
      DROP TABLE agent_day_occupancy;
    `);
  }
}
