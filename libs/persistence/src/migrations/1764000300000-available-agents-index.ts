import { MigrationInterface, QueryRunner } from 'typeorm';

/** Routing passes read only available agents: let them start from those rows. */
export class AvailableAgentsIndex1764000300000 implements MigrationInterface {
  name = 'AvailableAgentsIndex1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX agent_presence_available ON agent_presence (agent_id) WHERE state = 'available'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX agent_presence_available`);
  }
}
