import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Routing replay (issue #15) reads a line's contacts by arrival period (`created_at`). Contacts are inserted in time
 * order, so a BRIN on created_at finds a day among months of history for next to nothing on the hot path (no B-tree
 * page split per arrival).
 */
export class ContactArrivalsBrin1764004500000 implements MigrationInterface {
  name = 'ContactArrivalsBrin1764004500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX contacts_arrived_brin ON contacts USING brin (created_at) WITH (pages_per_range = 16)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS contacts_arrived_brin`);
  }
}
