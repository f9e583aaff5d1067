import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fencing tokens for durable timers: every claim of a scheduled job takes the next value of one sequence, so a
 * runner whose lease expired (a pause, a partition) and whose job was claimed again holds a smaller token than the
 * current claimer. Completing, rescheduling and the handlers' guarded effects check the token in the database.
 * The DEFAULT keeps every writer that inserts jobs without naming the column (SQL functions, raw inserts) valid:
 * 0 means "not claimed yet", below any token the sequence hands out.
 */
export class ScheduledJobClaimToken1764000500000 implements MigrationInterface {
  name = 'ScheduledJobClaimToken1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE SEQUENCE scheduled_jobs_claim_token_seq AS bigint;
      ALTER TABLE scheduled_jobs ADD COLUMN claim_token bigint NOT NULL DEFAULT 0;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE scheduled_jobs DROP COLUMN claim_token;
      DROP SEQUENCE scheduled_jobs_claim_token_seq;
    `);
  }
}
