import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messaging channels (chat, e-mail, messenger, social): a conversation of the platform (`contacts.conversation_id`)
 * is one contact while it is live (at most one not-ended contact per line, channel and conversation), and a new one
 * once that ended (its call id is then `<conversation>#<n>`). Its messages, both ways and in order (`seq` per
 * contact), are `messages`: an inbound message is idempotent on the platform's message id per line and channel; an
 * agent's reply is delivered to TETHER_CHANNEL_URL in order per conversation (`delivered_at`). Texts are personal
 * data (erased with the contact's). `social` joins the channels.
 */
export class Messages1764001950000 implements MigrationInterface {
  name = 'Messages1764001950000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE contacts DROP CONSTRAINT contacts_channel_check;
      ALTER TABLE contacts ADD CONSTRAINT contacts_channel_check
        CHECK (channel IN ('voice', 'chat', 'email', 'messenger', 'social'));
      ALTER TABLE contacts ADD COLUMN conversation_id text;
      ALTER TABLE contacts ADD COLUMN last_message_at timestamptz;
      CREATE UNIQUE INDEX contacts_live_conversation ON contacts (line, channel, conversation_id)
        WHERE conversation_id IS NOT NULL AND status <> 'ended';

      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        line text NOT NULL,
        channel text NOT NULL,
        direction text NOT NULL CHECK (direction IN ('in', 'out')),
        external_id text,
        seq int NOT NULL,
        agent_id uuid REFERENCES agents(id),
        text text,
        attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        delivery_attempts int NOT NULL DEFAULT 0,
        last_error text,
        UNIQUE (contact_id, seq)
      );
      CREATE UNIQUE INDEX messages_inbound_unique ON messages (line, channel, external_id) WHERE direction = 'in';
      CREATE INDEX messages_undelivered ON messages (contact_id, seq) WHERE direction = 'out' AND delivered_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE messages;
      DROP INDEX contacts_live_conversation;
      ALTER TABLE contacts DROP COLUMN last_message_at;
      ALTER TABLE contacts DROP COLUMN conversation_id;
      ALTER TABLE contacts DROP CONSTRAINT contacts_channel_check;
      ALTER TABLE contacts ADD CONSTRAINT contacts_channel_check
        CHECK (channel IN ('voice', 'chat', 'email', 'messenger'));
    `);
  }
}
