import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first schema. Hot tables (agent_presence, agent_slots, offers, scheduled_jobs) get a lower fillfactor and
 * aggressive autovacuum: they are updated on every routing decision and bloat quickly otherwise (MEASURED.md).
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE settings (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE instances (
        id text PRIMARY KEY,
        app text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE agents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        lines text[] NOT NULL,
        skills jsonb NOT NULL DEFAULT '{}'::jsonb,
        capacity jsonb NOT NULL DEFAULT '{"voice":1}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      );
      CREATE INDEX agents_lines ON agents USING gin (lines) WHERE deleted_at IS NULL;

      CREATE TABLE agent_presence (
        agent_id uuid PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
        state text NOT NULL DEFAULT 'offline' CHECK (state IN ('available', 'away', 'offline')),
        state_since timestamptz NOT NULL DEFAULT now(),
        idle_since timestamptz NOT NULL DEFAULT now(),
        wrap_up_until timestamptz,
        disconnected_at timestamptz
      ) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200);

      CREATE TABLE agent_slots (
        agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        channel text NOT NULL,
        capacity int NOT NULL CHECK (capacity >= 0),
        used int NOT NULL DEFAULT 0 CHECK (used >= 0),
        PRIMARY KEY (agent_id, channel)
      ) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200);

      CREATE TABLE agent_connections (
        socket_id text PRIMARY KEY,
        agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        instance_id text NOT NULL,
        connected_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX agent_connections_agent ON agent_connections (agent_id);
      CREATE INDEX agent_connections_instance ON agent_connections (instance_id);

      CREATE TABLE agent_tokens (
        id uuid PRIMARY KEY,
        agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX agent_tokens_agent ON agent_tokens (agent_id);

      CREATE TABLE customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text,
        known boolean NOT NULL,
        external_ref text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE customer_identities (
        kind text NOT NULL CHECK (kind IN ('phone', 'email', 'handle')),
        value text NOT NULL,
        customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, value)
      );
      CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

      CREATE TABLE line_routing (
        line text PRIMARY KEY CHECK (line IN ('sales', 'presales', 'service')),
        rules jsonb NOT NULL,
        version int NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO line_routing (line, rules) VALUES
        ('sales', '{"sticky":{"enabled":true,"waitSeconds":30,"horizonDays":30},"offerTimeoutSeconds":20,"wrapUpSeconds":0,"intents":{}}'),
        ('presales', '{"sticky":{"enabled":true,"waitSeconds":30,"horizonDays":30},"offerTimeoutSeconds":20,"wrapUpSeconds":0,"intents":{}}'),
        ('service', '{"sticky":{"enabled":true,"waitSeconds":30,"horizonDays":30},"offerTimeoutSeconds":20,"wrapUpSeconds":0,"intents":{}}');

      CREATE TABLE contacts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        external_id text NOT NULL,
        channel text NOT NULL CHECK (channel IN ('voice', 'chat', 'email', 'messenger')),
        line text NOT NULL CHECK (line IN ('sales', 'presales', 'service')),
        customer_id uuid NOT NULL REFERENCES customers(id),
        from_address text NOT NULL,
        to_address text,
        ivr jsonb,
        priority int NOT NULL DEFAULT 0,
        required_skills jsonb NOT NULL DEFAULT '{}'::jsonb,
        status text NOT NULL CHECK (status IN ('queued', 'offered', 'connected', 'ended')),
        end_reason text,
        sticky_agent_id uuid,
        sticky_cause text,
        excluded_agent_ids uuid[] NOT NULL DEFAULT '{}',
        offered_agent_id uuid,
        agent_id uuid REFERENCES agents(id),
        work_open boolean NOT NULL DEFAULT false,
        resolution text CHECK (resolution IN ('resolved', 'unresolved', 'follow_up')),
        notes text,
        announcement text,
        routing_trace jsonb NOT NULL DEFAULT '[]'::jsonb,
        enqueued_at timestamptz NOT NULL DEFAULT now(),
        offered_at timestamptz,
        connected_at timestamptz,
        answered_at timestamptz,
        ended_at timestamptz,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT contacts_external_unique UNIQUE (channel, external_id),
        CONSTRAINT contacts_offered_has_agent CHECK (status <> 'offered' OR offered_agent_id IS NOT NULL),
        CONSTRAINT contacts_connected_has_agent CHECK (status <> 'connected' OR agent_id IS NOT NULL)
      ) WITH (fillfactor = 80);
      CREATE INDEX contacts_waiting ON contacts (line, priority DESC, enqueued_at) WHERE status = 'queued';
      CREATE INDEX contacts_customer ON contacts (customer_id, created_at DESC);
      CREATE INDEX contacts_agent_open ON contacts (agent_id) WHERE work_open;

      CREATE TABLE offers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contacts(id),
        agent_id uuid NOT NULL REFERENCES agents(id),
        line text NOT NULL,
        channel text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected', 'expired', 'revoked')),
        reason text NOT NULL,
        trace text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        resolved_at timestamptz,
        end_reason text
      ) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02);
      -- single assignment, enforced by the database: at most one live (pending or accepted) offer per contact
      CREATE UNIQUE INDEX offers_one_live_per_contact ON offers (contact_id) WHERE state IN ('pending', 'accepted');
      CREATE INDEX offers_pending_agent ON offers (agent_id) WHERE state = 'pending';
      CREATE INDEX offers_contact ON offers (contact_id);

      CREATE TABLE scheduled_jobs (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        dedupe_key text,
        payload jsonb NOT NULL DEFAULT '{}'::jsonb,
        run_at timestamptz NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        locked_until timestamptz,
        locked_by text,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      ) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200);
      CREATE UNIQUE INDEX scheduled_jobs_dedupe ON scheduled_jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
      CREATE INDEX scheduled_jobs_due ON scheduled_jobs (run_at);

      CREATE TABLE outbound_webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL,
        event text NOT NULL,
        body jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE IF EXISTS outbound_webhooks, scheduled_jobs, offers, contacts, line_routing, customer_identities,
        customers, agent_tokens, agent_connections, agent_slots, agent_presence, agents, instances, settings CASCADE;
    `);
  }
}
