import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Function bodies live in `libs/<lib>/sql/*.sql` and are applied after the migrations by a repeatable step
 * (`applySqlSources`), re-applied whenever a file's checksum differs from the one recorded here: so changing a
 * function never edits a merged migration. One row per file, keyed by its path under libs/ (`contacts/receive_call.sql`).
 */
export class SqlSourceRegistry1764000600000 implements MigrationInterface {
  name = 'SqlSourceRegistry1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sql_sources (
        path text PRIMARY KEY,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sql_sources;`);
  }
}
