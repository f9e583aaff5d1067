import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Named users of the admin API and the supervisors' socket, with a role (`admin`, `supervisor`: their `lines`,
 * `agent`: linked to one agent), and their API tokens, kept as the SHA-256 of the token (a token is 32 random bytes:
 * a fast hash is enough, and the plain token is shown once, when issued). A user's name is the only personal data:
 * deleting the user deletes the row and its tokens; the audit log names them `user:<id>` only.
 */
export class Users1764004000000 implements MigrationInterface {
  name = 'Users1764004000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
        lines text[] NOT NULL DEFAULT '{}',
        agent_id uuid REFERENCES agents (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((role = 'agent') = (agent_id IS NOT NULL))
      );
      CREATE UNIQUE INDEX users_name_key ON users (lower(name));
      CREATE UNIQUE INDEX users_agent_key ON users (agent_id) WHERE agent_id IS NOT NULL;
      CREATE TABLE user_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        last_used_at timestamptz
      );
      CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, created_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE user_tokens; DROP TABLE users`);
  }
}
