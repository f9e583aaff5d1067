import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every version of a line's routing rules, as written (`line_routing` keeps only the live one): who wrote it, when,
 * and how (`put`, `rollback` to `restored_version`, or `initial` for the rules a line had when history began). What
 * changed is the difference from the version before (`diffRoutingRules`), computed when read. A rollback writes the
 * old rules again as a new version, so history only grows.
 */
export class RoutingVersions1764003000000 implements MigrationInterface {
  name = 'RoutingVersions1764003000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE line_routing_versions (
        line text NOT NULL REFERENCES lines (name),
        version int NOT NULL,
        rules jsonb NOT NULL,
        author text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        source text NOT NULL CONSTRAINT line_routing_versions_source CHECK (source IN ('initial', 'put', 'rollback')),
        restored_version int,
        PRIMARY KEY (line, version)
      );
      INSERT INTO line_routing_versions (line, version, rules, author, created_at, source)
        SELECT line, version, rules, 'system', updated_at, 'initial' FROM line_routing;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE line_routing_versions`);
  }
}
