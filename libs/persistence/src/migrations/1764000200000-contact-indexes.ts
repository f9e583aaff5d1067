import { MigrationInterface, QueryRunner } from 'typeorm';

/** Indexes for the two history reads on every webhook: the line's recent handle time and the caller's last agent. */
export class ContactIndexes1764000200000 implements MigrationInterface {
  name = 'ContactIndexes1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX contacts_completed_by_line ON contacts (line, completed_at DESC) WHERE completed_at IS NOT NULL;
      CREATE INDEX contacts_last_agent ON contacts (customer_id, line, connected_at DESC) WHERE agent_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX contacts_completed_by_line; DROP INDEX contacts_last_agent;`);
  }
}
