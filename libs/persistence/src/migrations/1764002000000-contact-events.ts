import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The contact event history: one row per state change of a contact (queued, offered, rejected, expired, revoked,
 * connected, transferred, ended, abandoned, completed, and whatever status a later migration adds) and per incident
 * notice (notified). Written by row triggers on contacts, offers and incident_notices (libs/reports/sql/
 * contact_events_*.sql), so in the same transaction as the change and without touching the lifecycle functions. The
 * single source of the reports (GET /v1/reports/...). `at` is the database's clock: the contact's own timestamp of
 * the step where it has one (enqueued_at, connected_at, ended_at, completed_at), else now(). Ids are plain columns,
 * not foreign keys: history outlives an erased customer or a deleted agent, and a foreign key would take a lock on
 * the referenced row on every insert of the hot path.
 */
export class ContactEvents1764002000000 implements MigrationInterface {
  name = 'ContactEvents1764002000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE contact_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        kind text NOT NULL,
        contact_id uuid,
        line text,
        channel text,
        agent_id uuid,
        customer_id uuid,
        case_id uuid,
        incident_id uuid,
        offer_id uuid,
        detail jsonb
      );
      -- few indexes: every one is paid for on every step of every contact (bench/README.md, reports). A report
      -- reads a time range: rows arrive in time order, so a BRIN on at finds it and costs next to nothing to keep.
      CREATE INDEX contact_events_at ON contact_events USING brin (at) WITH (pages_per_range = 32);
      -- the arrivals that can be repeat contacts (not linked to an incident), by customer and time, with the contact:
      -- the repeat-contact figure reads them with an index-only scan, already in customer order
      CREATE INDEX contact_events_arrivals ON contact_events (customer_id, at) INCLUDE (contact_id)
        WHERE kind = 'queued' AND incident_id IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER IF EXISTS contact_events_on_contacts ON contacts;
      DROP TRIGGER IF EXISTS contact_events_on_contacts_update ON contacts;
      DROP TRIGGER IF EXISTS contact_events_on_offers ON offers;
      DROP TRIGGER IF EXISTS contact_events_on_offers_update ON offers;
      DROP TRIGGER IF EXISTS contact_events_on_notices ON incident_notices;
      DROP FUNCTION IF EXISTS tether_contact_events_contacts();
      DROP FUNCTION IF EXISTS tether_contact_events_offers();
      DROP FUNCTION IF EXISTS tether_contact_events_notices();
      DROP TABLE contact_events;
    `);
  }
}
