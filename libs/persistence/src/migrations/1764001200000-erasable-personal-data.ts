import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Personal data can be erased while the figures stay. A contact's personal data (the caller's number, the number
 * called, what the IVR collected, the agent's notes) is nulled by an erase request (`DELETE /v1/customers/{id}`) or
 * by retention (`TETHER_RETENTION_DAYS`), and `erased_at` records when; its line, channel, times, status and
 * resolution stay. An erased customer is replaced by an anonymous tombstone (`customers.erased_at`: no name, no
 * external ref, no identity) that their contacts point to. The CHECKs make an erased row unable to hold that data
 * again, and retention finds what is left to erase through `contacts_unerased_by_age`.
 */
export class ErasablePersonalData1764001200000 implements MigrationInterface {
  name = 'ErasablePersonalData1764001200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE contacts ALTER COLUMN from_address DROP NOT NULL,
        ADD COLUMN erased_at timestamptz,
        ADD CONSTRAINT contacts_erased_holds_no_personal_data CHECK (
          erased_at IS NULL OR (from_address IS NULL AND to_address IS NULL AND ivr IS NULL AND notes IS NULL));
      CREATE INDEX contacts_unerased_by_age ON contacts (created_at) WHERE erased_at IS NULL;

      ALTER TABLE customers ADD COLUMN erased_at timestamptz,
        ADD CONSTRAINT customers_erased_is_anonymous CHECK (
          erased_at IS NULL OR (name IS NULL AND external_ref IS NULL AND NOT known));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customers DROP CONSTRAINT customers_erased_is_anonymous, DROP COLUMN erased_at;
      DROP INDEX contacts_unerased_by_age;
      ALTER TABLE contacts DROP CONSTRAINT contacts_erased_holds_no_personal_data, DROP COLUMN erased_at;
      UPDATE contacts SET from_address = '' WHERE from_address IS NULL;
      ALTER TABLE contacts ALTER COLUMN from_address SET NOT NULL;
    `);
  }
}
