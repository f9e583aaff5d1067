import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transfers: an agent hands a contact they are connected to on to another agent, another line or the case owner. The
 * contact keeps its id and, while the transfer is pending, points at it (`contacts.transfer_id`); at most one pending
 * transfer per contact. The transferring agent's accepted offer ends as `transferred` (so the contact can hold the
 * next offer: one live offer per contact). `excluded_before` keeps the contact's exclusions to restore them when the
 * transfer comes back.
 */
export class Transfers1764001500000 implements MigrationInterface {
  name = 'Transfers1764001500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transfers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contacts(id),
        from_agent_id uuid NOT NULL REFERENCES agents(id),
        from_line text NOT NULL,
        target_kind text NOT NULL CHECK (target_kind IN ('agent', 'line', 'case_owner')),
        target_agent_id uuid REFERENCES agents(id),
        target_line text NOT NULL,
        mode text NOT NULL CHECK (mode IN ('warm', 'cold')),
        note text CHECK (note IS NULL OR length(note) <= 2000),
        excluded_before uuid[] NOT NULL DEFAULT '{}',
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'completed', 'returned', 'cancelled')),
        return_reason text,
        to_agent_id uuid REFERENCES agents(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        CONSTRAINT transfers_agent_target CHECK (target_kind <> 'agent' OR target_agent_id IS NOT NULL)
      );
      CREATE UNIQUE INDEX transfers_one_pending_per_contact ON transfers (contact_id) WHERE state = 'pending';
      CREATE INDEX transfers_contact ON transfers (contact_id, created_at DESC);
      CREATE INDEX transfers_pending_to_line ON transfers (target_line) WHERE state = 'pending';

      ALTER TABLE contacts ADD COLUMN transfer_id uuid REFERENCES transfers(id);

      ALTER TABLE offers DROP CONSTRAINT offers_state_check;
      ALTER TABLE offers ADD CONSTRAINT offers_state_check
        CHECK (state IN ('pending', 'accepted', 'rejected', 'expired', 'revoked', 'transferred'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE offers SET state = 'accepted' WHERE state = 'transferred';
      ALTER TABLE offers DROP CONSTRAINT offers_state_check;
      ALTER TABLE offers ADD CONSTRAINT offers_state_check
        CHECK (state IN ('pending', 'accepted', 'rejected', 'expired', 'revoked'));
      ALTER TABLE contacts DROP COLUMN transfer_id;
      DROP TABLE transfers;
    `);
  }
}
