import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * audit_log says where a request came from and how many it stands for: `address` is the client's address behind
 * the trusted proxies, `count` is 1 for a write and, for refused requests (401/403/429), how many of them one
 * row aggregates (per address per minute, so a flood cannot fill the disk). Older rows have no address; `actor`
 * was 'admin' for every row before, and is now the admin token's non-secret name (`admin:<12 hex digits>`).
 * Adding columns rewrites no row, so the append-only triggers are not in the way.
 */
export class AuditLogAddressCount1764001300000 implements MigrationInterface {
  name = 'AuditLogAddressCount1764001300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_log
        ADD COLUMN address text,
        ADD COLUMN count int NOT NULL DEFAULT 1 CHECK (count > 0);
      CREATE INDEX audit_log_refused ON audit_log (address, at DESC) WHERE status IN (401, 403, 429);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX audit_log_refused;
      ALTER TABLE audit_log DROP COLUMN count, DROP COLUMN address;
    `);
  }
}
