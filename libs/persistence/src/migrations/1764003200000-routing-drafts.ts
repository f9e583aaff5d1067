import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A line's draft routing rules: saved and simulated without routing anything, then activated (written as the next
 * live version, and the draft is gone). One draft per line; `based_on_version` is the live version it was saved
 * against, for the admin to see whether the live rules moved on since.
 */
export class RoutingDrafts1764003200000 implements MigrationInterface {
  name = 'RoutingDrafts1764003200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE line_routing_drafts (
        line text PRIMARY KEY REFERENCES lines (name),
        rules jsonb NOT NULL,
        author text NOT NULL,
        based_on_version int NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE line_routing_drafts`);
  }
}
