import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Callbacks and outbound calls. A callback is a promise to call a customer back, with an owner and a due time:
 * - confirmed by the caller in the IVR (`requested_by = 'caller'`): their contact keeps its place in the queue and,
 *   once they hang up (`caller_left_at`), waits as a callback; an agent who accepts it gets the customer dialled;
 * - scheduled by an agent (`requested_by = 'agent'`): a new outbound contact, routed when its window opens.
 * The contact it waits as is `contact_id` (`contacts.callback_id` points back). `window_start` keeps the contact out
 * of routing until then (`contacts.not_before`); `due_at` is when it counts as missed (escalated to the team and
 * supervisors); dial attempts that fail (no answer, busy) come back after the line's retry delay until its maximum.
 * `contacts.direction` tells a call the customer made from one made to them (a callback or an agent's dial);
 * `number` is personal data and erased with the customer's other data.
 */
export class Callbacks1764001700000 implements MigrationInterface {
  name = 'Callbacks1764001700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE contacts ADD COLUMN direction text NOT NULL DEFAULT 'inbound'
        CHECK (direction IN ('inbound', 'outbound'));
      ALTER TABLE contacts ADD COLUMN not_before timestamptz;

      CREATE TABLE callbacks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL UNIQUE REFERENCES contacts(id) ON DELETE CASCADE,
        line text NOT NULL,
        customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        case_id uuid REFERENCES cases(id) ON DELETE SET NULL,
        owner_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
        requested_by text NOT NULL CHECK (requested_by IN ('caller', 'agent')),
        requested_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
        number text,
        note text CHECK (length(note) <= 2000),
        state text NOT NULL DEFAULT 'waiting'
          CHECK (state IN ('waiting', 'dialing', 'connected', 'completed', 'failed', 'cancelled')),
        window_start timestamptz,
        due_at timestamptz NOT NULL,
        caller_left_at timestamptz,
        attempts int NOT NULL DEFAULT 0,
        max_attempts int NOT NULL,
        retry_seconds int NOT NULL,
        last_result text,
        reminded_at timestamptz,
        missed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX callbacks_owner_open ON callbacks (owner_agent_id, due_at)
        WHERE state IN ('waiting', 'dialing');
      CREATE INDEX callbacks_open_due ON callbacks (due_at) WHERE state IN ('waiting', 'dialing');
      CREATE INDEX callbacks_customer ON callbacks (customer_id, created_at DESC);

      ALTER TABLE contacts ADD COLUMN callback_id uuid REFERENCES callbacks(id) ON DELETE SET NULL;

      -- the accepted offer of a dial that did not reach the customer (no answer, busy) is over: 'dial_failed'
      ALTER TABLE offers DROP CONSTRAINT offers_state_check;
      ALTER TABLE offers ADD CONSTRAINT offers_state_check
        CHECK (state IN ('pending', 'accepted', 'rejected', 'expired', 'revoked', 'transferred', 'dial_failed'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE offers SET state = 'accepted' WHERE state = 'dial_failed';
      ALTER TABLE offers DROP CONSTRAINT offers_state_check;
      ALTER TABLE offers ADD CONSTRAINT offers_state_check
        CHECK (state IN ('pending', 'accepted', 'rejected', 'expired', 'revoked', 'transferred'));
      ALTER TABLE contacts DROP COLUMN callback_id;
      DROP TABLE callbacks;
      ALTER TABLE contacts DROP COLUMN not_before;
      ALTER TABLE contacts DROP COLUMN direction;
    `);
  }
}
