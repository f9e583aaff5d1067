import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { createTestDatabase, TestDatabase } from './test-database';
import { waitFor } from './wait-for';

/** Anything the fixtures can run SQL on: the database's pool or one of its sessions. */
export interface SqlQuery {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/** One connection of its own, for transactions and lock behaviour (BEGIN here, COMMIT later). */
export interface SqlSession extends SqlQuery {
  /** the backend's pid, to see in pg_stat_activity whether it waits */
  pid: number;
  end(): Promise<void>;
}

/**
 * A fresh test database with the real migrations and SQL sources applied (what an app does at start-up), a small
 * pool on it, dedicated sessions on demand and the fixtures. For the SQL functions' int specs (libs/<lib>/sql).
 */
export interface SqlTestDatabase extends SqlQuery {
  url: string;
  fixtures: SqlFixtures;
  session(): Promise<SqlSession>;
  /** resolves once the session (by pid) waits for a lock: proof that a statement blocks rather than a slow one */
  waitingForLock(pid: number): Promise<void>;
  /** the first row of a query (undefined when there is none) */
  one<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row | undefined>;
  /** ends every session and the pool, drops the database */
  drop(): Promise<void>;
}

export async function createSqlTestDatabase(): Promise<SqlTestDatabase> {
  const database: TestDatabase = await createTestDatabase();
  // loaded here, not at the top: every e2e spec imports @tether/testing and needs none of TypeORM
  const { createDataSource, runMigrations } = await import('@tether/persistence');
  const migrator = await createDataSource(database.url, 2, 'tether-test-migrate').initialize();
  try {
    await runMigrations(migrator);
  } finally {
    await migrator.destroy();
  }
  const pool = new Pool({ connectionString: database.url, max: 4 });
  pool.on('error', () => undefined);
  const sessions = new Set<Client>();
  const query = async <Row>(sql: string, params?: unknown[]): Promise<Row[]> =>
    (await pool.query(sql, params)).rows as Row[];
  const db: SqlTestDatabase = {
    url: database.url,
    query,
    one: async <Row>(sql: string, params?: unknown[]) => (await query<Row>(sql, params))[0],
    fixtures: new SqlFixtures({ query }),
    async waitingForLock(pid) {
      await waitFor(
        async () =>
          (
            await query<{ waiting: boolean }>(
              `SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1`,
              [pid],
            )
          )[0]?.waiting,
        { what: `session ${pid} to wait for a lock`, timeoutMs: 5_000 },
      );
    },
    async session() {
      const client = new Client({ connectionString: database.url });
      client.on('error', () => undefined);
      await client.connect();
      sessions.add(client);
      const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      return {
        pid,
        query: async <Row>(sql: string, params?: unknown[]) =>
          (await client.query(sql, params)).rows as Row[],
        async end() {
          if (sessions.delete(client)) await client.end();
        },
      };
    },
    async drop() {
      await Promise.all([...sessions].map((client) => client.end().catch(() => undefined)));
      sessions.clear();
      await pool.end();
      await database.drop();
    },
  };
  return db;
}

export interface AgentFixture {
  name?: string;
  lines?: string[];
  skills?: Record<string, number>;
  /** per channel; a slot row each */
  capacity?: Record<string, number>;
  /** slots already in use, per channel */
  used?: Record<string, number>;
  state?: 'available' | 'away' | 'offline';
  idleSince?: Date;
  wrapUpUntil?: Date | null;
  /** a live socket (agent_connections row); default true */
  connected?: boolean;
  deleted?: boolean;
}

export interface CustomerFixture {
  /** an E.164 phone identity */
  phone?: string;
  known?: boolean;
  name?: string | null;
  externalRef?: string | null;
}

export interface ContactFixture {
  customerId?: string;
  line?: string;
  channel?: string;
  externalId?: string;
  status?: 'queued' | 'offered' | 'connected' | 'ended';
  priority?: number;
  requiredSkills?: Record<string, number>;
  enqueuedAt?: Date;
  createdAt?: Date;
  /** the agent the contact is (or was) connected to */
  agentId?: string | null;
  offeredAgentId?: string | null;
  connectedAt?: Date | null;
  workOpen?: boolean;
  /** the customer's last agent on the line when the contact arrived, and when that contact was connected */
  lastAgentId?: string | null;
  lastAgentAt?: Date | null;
  excludedAgentIds?: string[];
  resolution?: string | null;
  notes?: string | null;
  endedAt?: Date | null;
  endReason?: string | null;
}

export interface OfferFixture {
  contactId: string;
  agentId: string;
  state?: 'pending' | 'accepted' | 'rejected' | 'expired' | 'revoked';
  expiresAt?: Date;
  endReason?: string | null;
}

/**
 * Rows for the SQL functions' specs, written straight into the tables (not through the functions under test), with
 * defaults that make a valid row: `agent()` is available, connected, on every line, one free voice slot.
 */
export class SqlFixtures {
  private sequence = 0;
  private readonly tag = randomBytes(3).toString('hex');

  constructor(private readonly db: SqlQuery) {}

  /** An agent with presence, slots (capacity per channel) and, unless `connected: false`, a live connection. */
  async agent(options: AgentFixture = {}): Promise<string> {
    const capacity = options.capacity ?? { voice: 1 };
    const [{ id }] = await this.db.query<{ id: string }>(
      `INSERT INTO agents (name, lines, skills, capacity, deleted_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END) RETURNING id`,
      [
        options.name ?? `agent ${this.next()}`,
        options.lines ?? ['sales', 'presales', 'service'],
        JSON.stringify(options.skills ?? {}),
        JSON.stringify(capacity),
        options.deleted ?? false,
      ],
    );
    await this.db.query(
      `INSERT INTO agent_presence (agent_id, state, idle_since, wrap_up_until) VALUES ($1, $2, coalesce($3, now()), $4)`,
      [id, options.state ?? 'available', options.idleSince ?? null, options.wrapUpUntil ?? null],
    );
    for (const [channel, slots] of Object.entries(capacity))
      await this.db.query(
        `INSERT INTO agent_slots (agent_id, channel, capacity, used) VALUES ($1, $2, $3, $4)`,
        [id, channel, slots, options.used?.[channel] ?? 0],
      );
    if (options.connected ?? true) await this.connect(id);
    return id;
  }

  /** A live socket of the agent on a fixture gateway instance. */
  async connect(agentId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO instances (id, app) VALUES ('sql-fixtures', 'gateway') ON CONFLICT (id) DO NOTHING`,
    );
    await this.db.query(
      `INSERT INTO agent_connections (socket_id, agent_id, instance_id) VALUES ($1, $2, 'sql-fixtures')`,
      [`socket-${this.next()}`, agentId],
    );
  }

  /** A customer, known by default; with `phone`, found by that number. */
  async customer(options: CustomerFixture = {}): Promise<string> {
    const [{ id }] = await this.db.query<{ id: string }>(
      `INSERT INTO customers (name, known, external_ref) VALUES ($1, $2, $3) RETURNING id`,
      [
        options.name === undefined ? `customer ${this.next()}` : options.name,
        options.known ?? true,
        options.externalRef ?? null,
      ],
    );
    if (options.phone)
      await this.db.query(
        `INSERT INTO customer_identities (kind, value, customer_id) VALUES ('phone', $1, $2)`,
        [options.phone, id],
      );
    return id;
  }

  /** A contact (queued on sales by voice unless told otherwise), for a new customer unless `customerId` is given. */
  async contact(options: ContactFixture = {}): Promise<string> {
    const customerId = options.customerId ?? (await this.customer());
    const [{ id }] = await this.db.query<{ id: string }>(
      `INSERT INTO contacts (external_id, channel, line, customer_id, from_address, priority, required_skills, status,
                             enqueued_at, created_at, agent_id, offered_agent_id, connected_at, work_open,
                             sticky_agent_id, last_agent_at, excluded_agent_ids, resolution, notes, ended_at, end_reason)
       VALUES ($1, $2, $3, $4, '+15550000000', $5, $6, $7, coalesce($8, now()), coalesce($9, $8, now()), $10, $11, $12,
               $13, $14, CASE WHEN $14::uuid IS NOT NULL THEN coalesce($20, now() - interval '1 day') END, $15, $16,
               $17, $18, $19)
       RETURNING id`,
      [
        options.externalId ?? this.callId(),
        options.channel ?? 'voice',
        options.line ?? 'sales',
        customerId,
        options.priority ?? 0,
        JSON.stringify(options.requiredSkills ?? {}),
        options.status ?? 'queued',
        options.enqueuedAt ?? null,
        options.createdAt ?? null,
        options.agentId ?? null,
        options.offeredAgentId ?? null,
        options.connectedAt ?? null,
        options.workOpen ?? false,
        options.lastAgentId ?? null,
        options.excludedAgentIds ?? [],
        options.resolution ?? null,
        options.notes ?? null,
        options.endedAt ?? null,
        options.endReason ?? null,
        options.lastAgentAt ?? null,
      ],
    );
    return id;
  }

  /** An offer row as it is (no slot or contact change: see `offered` for a consistent pending offer). */
  async offer(options: OfferFixture): Promise<string> {
    const [{ id }] = await this.db.query<{ id: string }>(
      `INSERT INTO offers (contact_id, agent_id, line, channel, state, reason, trace, expires_at, end_reason)
       SELECT c.id, $2, c.line, c.channel, $3, 'skills', 'fixture', coalesce($4, now() + interval '20 seconds'), $5
         FROM contacts c WHERE c.id = $1
       RETURNING id`,
      [
        options.contactId,
        options.agentId,
        options.state ?? 'pending',
        options.expiresAt ?? null,
        options.endReason ?? null,
      ],
    );
    return id;
  }

  /**
   * A contact offered to the agent as a routing pass leaves it: contact 'offered' to them, a pending offer, one
   * more slot in use on the contact's channel.
   */
  async offered(
    agentId: string,
    options: Omit<ContactFixture, 'status' | 'offeredAgentId'> & { expiresAt?: Date } = {},
  ): Promise<{ contactId: string; offerId: string }> {
    const { expiresAt, ...contact } = options;
    const contactId = await this.contact({ ...contact, status: 'offered', offeredAgentId: agentId });
    const offerId = await this.offer({ contactId, agentId, expiresAt });
    await this.db.query(`UPDATE agent_slots SET used = used + 1 WHERE agent_id = $1 AND channel = $2`, [
      agentId,
      options.channel ?? 'voice',
    ]);
    return { contactId, offerId };
  }

  /** A contact connected to the agent (accepted, work open), its slot in use. */
  async connected(
    agentId: string,
    options: Omit<ContactFixture, 'status' | 'agentId' | 'workOpen'> = {},
  ): Promise<string> {
    const contactId = await this.contact({
      connectedAt: new Date(),
      ...options,
      status: 'connected',
      agentId,
      workOpen: true,
    });
    await this.offer({ contactId, agentId, state: 'accepted' });
    await this.db.query(`UPDATE agent_slots SET used = used + 1 WHERE agent_id = $1 AND channel = $2`, [
      agentId,
      options.channel ?? 'voice',
    ]);
    return contactId;
  }

  /** Merges `change` into the line's routing rules and bumps its version; returns the new version. */
  async rules(line: string, change: Record<string, unknown>): Promise<number> {
    const [{ version }] = await this.db.query<{ version: number }>(
      `UPDATE line_routing SET rules = rules || $2::jsonb, version = version + 1 WHERE line = $1 RETURNING version`,
      [line, JSON.stringify(change)],
    );
    return version;
  }

  /** Empties the tables the fixtures and the lifecycle write (not line_routing), for specs that look at a whole line. */
  async clear(): Promise<void> {
    await this.db.query(
      `TRUNCATE surveys, contact_events, contact_outcomes, contact_handling, event_counts, agent_day_occupancy, event_day_counts, agent_presence_events, messages, callbacks, incident_notices, incident_updates, incidents, case_notices, offers, transfers, contacts, cases, customer_identities, customers, agent_connections, agent_slots, agent_presence,
                user_tokens, users, agent_tokens, agents, instances, scheduled_jobs, outbound_webhooks, call_tombstones`,
    );
    await this.db.query(
      `UPDATE report_rollup_state SET folded_until = NULL, folded_at = NULL, days_from = NULL, days_until = NULL`,
    );
  }

  /** A call id unique in this database. */
  callId(): string {
    return `fx-${this.tag}-${this.next()}`;
  }

  /** A phone number unique in this database (E.164). */
  phone(): string {
    return `+1555${String(this.next()).padStart(7, '0')}`;
  }

  private next(): number {
    return ++this.sequence;
  }
}
