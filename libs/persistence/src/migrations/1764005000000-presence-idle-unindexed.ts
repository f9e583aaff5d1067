import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `agent_presence.idle_since` moves at every completion (tether_complete_contact). With an index on it, each of those
 * updates was a non-HOT one (a new entry in every index of the table), and the routing snapshot's walk of it in idle
 * order went through the dead entries they leave at its front, growing until a vacuum: under a steady 80 calls/s the
 * walk cost more than reading the line's available agents whole (bench/README.md, "Session 9"). The snapshot reads
 * them whole; without the index the completion's presence update is HOT.
 */
export class PresenceIdleUnindexed1764005000000 implements MigrationInterface {
  name = 'PresenceIdleUnindexed1764005000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS agent_presence_available_idle`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX agent_presence_available_idle ON agent_presence (idle_since, agent_id) WHERE state = 'available'`,
    );
  }
}
