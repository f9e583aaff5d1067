import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What makes the reports fast over a long history, and what occupancy is read from (libs/reports, bench/README.md):
 *
 * - `contact_outcomes`: the contact event history folded to one narrow row per contact (the columns of
 *   tether_contact_facts, and `next_at`: the same customer's next arrival that can make it a repeat), for the
 *   contacts that arrived before `report_rollup_state.folded_until`. Written only by the durable `reports.rollup`
 *   job (tether_fold_contact_outcomes), never on the lifecycle's hot path; the reports read it for the folded part
 *   of their range and fold the events after the watermark live, so a figure is never stale.
 * - `contact_handling`: the folded contacts' handling stretches (agent, line, from the answer to the completion or a
 *   transfer on), for occupancy, written by the same fold.
 * - `event_counts`: the per-event figures (offers, rejections, expiries, transfers out, notices) counted per 15
 *   minutes, agent, line and incident, for the events before the watermark (tether_event_counts).
 * - `report_rollup_state`: the one watermark row; the job takes it FOR UPDATE, so folds are serialised, and it
 *   moves in the same transaction as the rows it covers (a fold run twice is a fold run once).
 * - `agent_presence_events`: each presence state change of an agent (a row trigger on agent_presence,
 *   libs/reports/sql/agent_presence_events.sql), the source of occupancy's staffed time. Seeded with every agent's
 *   current state since its `state_since`.
 *
 * Ids only (no personal data), as in contact_events.
 */
export class ReportRollups1764004300000 implements MigrationInterface {
  name = 'ReportRollups1764004300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE contact_outcomes (
        contact_id uuid PRIMARY KEY,
        arrived_at timestamptz NOT NULL,
        line text,
        channel text,
        customer_id uuid,
        case_id uuid,
        incident_id uuid,
        agent_id uuid,
        connected_at timestamptz,
        reason text,
        abandoned_at timestamptz,
        abandoned_in_offer boolean NOT NULL,
        ended_at timestamptz,
        completed_at timestamptz,
        transfers int NOT NULL,
        repeat_eligible boolean NOT NULL,
        next_at timestamptz
      );
      -- folded in arrival order and read by arrival range: a BRIN is enough and costs the fold nothing
      CREATE INDEX contact_outcomes_arrived ON contact_outcomes USING brin (arrived_at) WITH (pages_per_range = 16);
      -- the eligible contacts whose customer has not arrived again (yet): a fold sets their next_at
      CREATE INDEX contact_outcomes_awaiting_next ON contact_outcomes (customer_id, arrived_at)
        WHERE next_at IS NULL AND repeat_eligible;

      -- the same contacts' handling: one row per agent's stretch on a contact (its 'connected' to the contact's next
      -- 'transferred', 'requeued', 'completed' or 'connected'), for occupancy (tether_agent_occupancy)
      CREATE TABLE contact_handling (
        contact_id uuid NOT NULL,
        agent_id uuid NOT NULL,
        line text,
        started_at timestamptz NOT NULL,
        ended_at timestamptz NOT NULL
      );
      CREATE INDEX contact_handling_started ON contact_handling USING brin (started_at) WITH (pages_per_range = 16);

      -- the per-event figures (offers, rejections, expiries, transfers out, notices) counted per 15 minutes, agent,
      -- line and incident, for the events before the watermark
      CREATE TABLE event_counts (
        bucket timestamptz NOT NULL,
        kind text NOT NULL,
        agent_id uuid,
        line text,
        incident_id uuid,
        n int NOT NULL
      );
      CREATE INDEX event_counts_bucket ON event_counts USING brin (bucket) WITH (pages_per_range = 16);

      CREATE TABLE report_rollup_state (
        id int PRIMARY KEY CHECK (id = 1),
        folded_until timestamptz,
        folded_at timestamptz
      );
      INSERT INTO report_rollup_state (id) VALUES (1);

      CREATE TABLE agent_presence_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        agent_id uuid NOT NULL,
        state text NOT NULL
      );
      CREATE INDEX agent_presence_events_agent ON agent_presence_events (agent_id, at);
      INSERT INTO agent_presence_events (at, agent_id, state)
        SELECT state_since, agent_id, state FROM agent_presence;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER IF EXISTS agent_presence_events_on_insert ON agent_presence;
      DROP TRIGGER IF EXISTS agent_presence_events_on_update ON agent_presence;
      DROP FUNCTION IF EXISTS tether_agent_presence_events();
      DROP FUNCTION IF EXISTS tether_fold_contact_outcomes(timestamptz, interval);
      DROP FUNCTION IF EXISTS tether_report_facts(timestamptz, timestamptz, int);
      DROP FUNCTION IF EXISTS tether_agent_occupancy(timestamptz, timestamptz, text, text);
      DROP FUNCTION IF EXISTS tether_event_counts(timestamptz, timestamptz);
      DROP TABLE agent_presence_events;
      DROP TABLE report_rollup_state;
      DROP TABLE contact_handling;
      DROP TABLE event_counts;
      DROP TABLE contact_outcomes;
    `);
  }
}
