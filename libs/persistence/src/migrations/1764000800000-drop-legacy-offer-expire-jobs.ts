import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Offers used to get a scheduled `offer.expire` job each; since 1764000400000 an offer's own `expires_at` is its timer
 * (swept by every instance), and the handler for those jobs is gone. Any such row left would never be claimed: drop
 * them (the sweep expires their offers).
 */
export class DropLegacyOfferExpireJobs1764000800000 implements MigrationInterface {
  name = 'DropLegacyOfferExpireJobs1764000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM scheduled_jobs WHERE kind = 'offer.expire'`);
  }

  async down(): Promise<void> {
    // nothing to restore: the rows were timers for offers the sweep expires anyway
  }
}
