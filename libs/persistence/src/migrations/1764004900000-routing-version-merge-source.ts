import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version of a line's rules can come from a customer merge: the line's never-match pairs that named the customer
 * merged away name the survivor from then on (`source` 'merge', authored by whoever merged).
 */
export class RoutingVersionMergeSource1764004900000 implements MigrationInterface {
  name = 'RoutingVersionMergeSource1764004900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE line_routing_versions DROP CONSTRAINT line_routing_versions_source,
        ADD CONSTRAINT line_routing_versions_source CHECK (source IN ('initial', 'put', 'rollback', 'merge'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE line_routing_versions DROP CONSTRAINT line_routing_versions_source,
        ADD CONSTRAINT line_routing_versions_source CHECK (source IN ('initial', 'put', 'rollback'));
    `);
  }
}
