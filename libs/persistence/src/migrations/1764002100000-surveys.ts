import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Post-contact surveys (CSAT): a score the IVR or SMS side posts back (`POST /v1/surveys` on a line app), one per
 * contact, joined at write time to the contact's agent, case and customer so the reports need no second look-up.
 * `comment` is the customer's free text: personal data, cleared when the contact is erased (libs/reports/sql/
 * surveys_erase_comment.sql).
 */
export class Surveys1764002100000 implements MigrationInterface {
  name = 'Surveys1764002100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE surveys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL UNIQUE REFERENCES contacts(id) ON DELETE CASCADE,
        line text NOT NULL,
        channel text NOT NULL,
        agent_id uuid,
        case_id uuid,
        customer_id uuid,
        score int NOT NULL,
        scale int NOT NULL,
        comment text CHECK (comment IS NULL OR length(comment) <= 2000),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT surveys_score_in_scale CHECK (scale BETWEEN 2 AND 100 AND score BETWEEN 1 AND scale)
      );
      CREATE INDEX surveys_agent ON surveys (agent_id, created_at) WHERE agent_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER IF EXISTS surveys_erase_comment ON contacts;
      DROP FUNCTION IF EXISTS tether_surveys_erase_comment();
      DROP TABLE surveys;
    `);
  }
}
