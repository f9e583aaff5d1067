import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cases: a customer's problem across contacts, with one owner (an agent). A contact links to at most one case
 * (`contacts.case_id`, set at arrival when the customer has an open case on that line, or at completion); a case is
 * open or waiting on the customer until resolved, then closed. At most one open case per customer, line and subject
 * (`subject_key`, the subject lower-cased and trimmed): two contacts completing at once meet on that index and share
 * one case. Agents get a deputy (who takes their customers when they are away for good) and a team.
 * Case notices tell an owner who was not there that their customer called and who took it; delivered when they sign
 * in. Adding nullable columns rewrites no row.
 */
export class Cases1764001400000 implements MigrationInterface {
  name = 'Cases1764001400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE agents
        ADD COLUMN deputy_id uuid REFERENCES agents(id) ON DELETE SET NULL,
        ADD COLUMN team text CHECK (team IS NULL OR length(team) BETWEEN 1 AND 64),
        ADD CONSTRAINT agents_deputy_not_self CHECK (deputy_id IS DISTINCT FROM id);

      CREATE TABLE cases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        line text NOT NULL,
        subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
        subject_key text GENERATED ALWAYS AS (lower(btrim(subject))) STORED,
        status text NOT NULL DEFAULT 'open'
          CHECK (status IN ('open', 'waiting_on_customer', 'resolved', 'closed')),
        owner_id uuid REFERENCES agents(id),
        team text CHECK (team IS NULL OR length(team) BETWEEN 1 AND 64),
        due_at timestamptz,
        opened_by_contact_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        closed_at timestamptz
      );
      CREATE UNIQUE INDEX cases_one_open_per_subject ON cases (customer_id, line, subject_key)
        WHERE status IN ('open', 'waiting_on_customer');
      CREATE INDEX cases_owner_open ON cases (owner_id, updated_at DESC)
        WHERE status IN ('open', 'waiting_on_customer');
      CREATE INDEX cases_customer ON cases (customer_id, updated_at DESC);
      CREATE INDEX cases_list ON cases (created_at DESC, id DESC);

      ALTER TABLE contacts ADD COLUMN case_id uuid REFERENCES cases(id) ON DELETE SET NULL;
      CREATE INDEX contacts_case ON contacts (case_id, created_at DESC) WHERE case_id IS NOT NULL;

      CREATE TABLE case_notices (
        id bigserial PRIMARY KEY,
        agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        contact_id uuid REFERENCES contacts(id) ON DELETE SET NULL,
        kind text NOT NULL CHECK (kind IN ('customer_called', 'case_handed_over', 'case_overdue')),
        by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      );
      CREATE INDEX case_notices_undelivered ON case_notices (agent_id, id) WHERE delivered_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE case_notices;
      DROP INDEX contacts_case;
      ALTER TABLE contacts DROP COLUMN case_id;
      DROP TABLE cases;
      ALTER TABLE agents DROP CONSTRAINT agents_deputy_not_self, DROP COLUMN team, DROP COLUMN deputy_id;
    `);
  }
}
