import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A contact records, at arrival, the customer's last agent on its line (`sticky_agent_id`, as before) and now also
 * when that earlier contact was connected (`last_agent_at`): facts only. Whether they make the agent preferred (the
 * line's `sticky.horizonDays`, sticky on or off) is the routing engine's decision at each pass, no longer the
 * intake's. `sticky_cause` is no longer written (the engine names the cause).
 */
export class ContactLastAgentAt1764000900000 implements MigrationInterface {
  name = 'ContactLastAgentAt1764000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts ADD COLUMN last_agent_at timestamptz`);
    // contacts waiting across the upgrade keep their preferred agent: inside the horizon by construction
    await q.query(
      `UPDATE contacts SET last_agent_at = enqueued_at WHERE status = 'queued' AND sticky_agent_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts DROP COLUMN last_agent_at`);
  }
}
