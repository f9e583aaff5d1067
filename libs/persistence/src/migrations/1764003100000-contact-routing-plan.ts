import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stages a line rule gave a contact at arrival (`RoutingPlan` in libs/routing), read by every routing pass
 * (`tether_routing_snapshot`): which stage applies is the engine's reading of the time waited. NULL for a contact
 * no rule with stages matched, which routes exactly as before rules existed.
 */
export class ContactRoutingPlan1764003100000 implements MigrationInterface {
  name = 'ContactRoutingPlan1764003100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts ADD COLUMN routing_plan jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts DROP COLUMN routing_plan`);
  }
}
