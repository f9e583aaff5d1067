import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cross-line redirect and queue overflow (issue #15): a contact a line rule (or the line's queue limit) sent to
 * another line keeps the line it arrived on (`line`: its call id's scope, the idempotency key) and waits on
 * `routed_line`'s queue (`tether_routing_snapshot` reads it there), with the reason the IVR was told
 * (`redirect_reason`). `offer_callback`: the rule or overflow offered a callback at once (the webhook's
 * `callbackOffered`). NULL / false for every other contact, which routes exactly as before.
 */
export class ContactRedirect1764004200000 implements MigrationInterface {
  name = 'ContactRedirect1764004200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts ADD COLUMN routed_line text, ADD COLUMN redirect_reason text,
                     ADD COLUMN offer_callback boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE INDEX contacts_routed_queue ON contacts (routed_line, priority DESC, enqueued_at, id)
        WHERE status = 'queued' AND routed_line IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS contacts_routed_queue`);
    await q.query(
      `ALTER TABLE contacts DROP COLUMN offer_callback, DROP COLUMN redirect_reason, DROP COLUMN routed_line`,
    );
  }
}
