import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an agent token last opened a socket (`last_used_at`), for `GET /v1/agents/{id}/tokens`: an admin deciding
 * which token to revoke sees which are in use. Written at a socket's handshake, at most once a minute per token.
 */
export class AgentTokenLastUsed1764001100000 implements MigrationInterface {
  name = 'AgentTokenLastUsed1764001100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE agent_tokens ADD COLUMN last_used_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE agent_tokens DROP COLUMN last_used_at`);
  }
}
