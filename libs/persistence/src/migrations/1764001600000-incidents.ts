import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incidents: something is wrong and the company knows. Who is affected is any of: customer ids, phone-number
 * prefixes (E.164, matched against the caller's number), customer attributes (`customers.attributes`, e.g.
 * {"area": "north", "node": "N7"}: a customer matches when they hold any listed value of any listed key), every
 * caller of listed lines. Callers it affects hear its announcement before queueing and their contact is linked to it
 * (`contacts.incident_id`). Each notifiable change (opened, ETA or status changed, resolved) is an update; every
 * affected customer gets one notice per update (`incident_notices`, unique per update and customer), delivered
 * through the outbox (`outbound_webhooks`) to TETHER_NOTIFY_URL. A constant default adds a column without a rewrite.
 */
export class Incidents1764001600000 implements MigrationInterface {
  name = 'Incidents1764001600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customers ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'::jsonb;
      CREATE INDEX customers_attributes ON customers USING gin (attributes jsonb_path_ops);

      CREATE TABLE incidents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        announcement text NOT NULL CHECK (length(announcement) BETWEEN 1 AND 1000),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'monitoring', 'resolved')),
        eta timestamptz,
        affected_customer_ids uuid[] NOT NULL DEFAULT '{}',
        affected_phone_prefixes text[] NOT NULL DEFAULT '{}',
        affected_attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        affected_lines text[] NOT NULL DEFAULT '{}',
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz
      );
      CREATE INDEX incidents_active ON incidents (created_at DESC) WHERE status <> 'resolved';

      CREATE TABLE incident_updates (
        id bigserial PRIMARY KEY,
        incident_id uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('opened', 'update', 'resolved')),
        text text,
        status text NOT NULL,
        eta timestamptz,
        notify boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX incident_updates_incident ON incident_updates (incident_id, id);

      CREATE TABLE incident_notices (
        update_id bigint NOT NULL REFERENCES incident_updates(id) ON DELETE CASCADE,
        customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        incident_id uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        channel text NOT NULL CHECK (channel IN ('sms', 'email')),
        outbound_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (update_id, customer_id)
      );
      CREATE INDEX incident_notices_customer ON incident_notices (customer_id, created_at DESC);

      ALTER TABLE contacts ADD COLUMN incident_id uuid REFERENCES incidents(id) ON DELETE SET NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE contacts DROP COLUMN incident_id;
      DROP TABLE incident_notices;
      DROP TABLE incident_updates;
      DROP TABLE incidents;
      DROP INDEX customers_attributes;
      ALTER TABLE customers DROP COLUMN attributes;
    `);
  }
}
