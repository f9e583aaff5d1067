import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A call id is the provider's id on one line: unique per (line, channel, external_id), no longer per (channel,
 * external_id), so the same id on another line is another call and a line app can only find, end or read its own
 * line's calls.
 *
 * `call_tombstones` remembers a hang-up that overtook its call webhook (tether_remember_hangup, libs/contacts/sql),
 * durably and for every instance: when the call webhook then arrives, tether_receive_call records the call as ended
 * and queues nothing. Rows live until `expires_at` (at least 10 minutes after the hang-up); expired rows are ignored
 * and deleted by later hang-ups (`call_tombstones_expiry`). Owner: libs/contacts.
 *
 * `down` fails if the same call id is by then on two lines (the old constraint cannot hold them).
 */
export class CallsScopedToLine1764001000000 implements MigrationInterface {
  name = 'CallsScopedToLine1764001000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE contacts DROP CONSTRAINT contacts_external_unique,
        ADD CONSTRAINT contacts_call_unique UNIQUE (line, channel, external_id);
      CREATE TABLE call_tombstones (
        line text NOT NULL REFERENCES lines (name),
        channel text NOT NULL CHECK (channel IN ('voice', 'chat', 'email', 'messenger')),
        external_id text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (line, channel, external_id)
      );
      CREATE INDEX call_tombstones_expiry ON call_tombstones (expires_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE call_tombstones;
      ALTER TABLE contacts DROP CONSTRAINT contacts_call_unique,
        ADD CONSTRAINT contacts_external_unique UNIQUE (channel, external_id);
    `);
  }
}
