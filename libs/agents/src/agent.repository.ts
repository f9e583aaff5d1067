import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundError, ValidationFailed } from '@tether/errors';
import { LineDirectory } from '@tether/lines';
import { one, rows, Sql } from '@tether/persistence';
import { CHANNELS, Channel, Line, PresenceState } from '@tether/routing';
import { Agent, AgentChanges, DEFAULT_CAPACITY, NewAgent } from './agent.types';

interface AgentRow {
  id: string;
  name: string;
  lines: Line[];
  skills: Record<string, number>;
  capacity: Partial<Record<Channel, number>>;
  state: PresenceState;
  state_since: Date;
  connected: boolean;
  deputy_id: string | null;
  team: string | null;
  voice_endpoint: string | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT_AGENT = `
  SELECT a.id, a.name, a.lines, a.skills, a.capacity, a.deputy_id, a.team, a.voice_endpoint, a.created_at, a.updated_at,
         p.state, p.state_since,
         EXISTS (SELECT 1 FROM agent_connections c WHERE c.agent_id = a.id) AS connected
  FROM agents a JOIN agent_presence p ON p.agent_id = a.id
  WHERE a.deleted_at IS NULL`;

function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    lines: row.lines,
    skills: row.skills,
    capacity: row.capacity,
    presence: { state: row.state, connected: row.connected, since: row.state_since.toISOString() },
    deputyId: row.deputy_id,
    team: row.team,
    voiceEndpoint: row.voice_endpoint,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Agents, their skills and per-channel capacity. Presence and live load are in PresenceService. An agent's lines
 * must be rows of `lines`: an array column cannot carry a foreign key, so create and update check them
 * (`UnknownLines`, a 400 naming `lines`).
 */
@Injectable()
export class AgentRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lines: LineDirectory,
  ) {}

  async create(input: NewAgent): Promise<Agent> {
    await this.lines.assertDefined(input.lines);
    if (input.deputyId) await this.assertDeputy(input.deputyId);
    const capacity = input.capacity ?? DEFAULT_CAPACITY;
    const id = await this.dataSource.transaction(async (tx) => {
      const created = await one<{ id: string }>(
        tx,
        `INSERT INTO agents (name, lines, skills, capacity, deputy_id, team, voice_endpoint)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [
          input.name,
          [...new Set(input.lines)],
          JSON.stringify(input.skills ?? {}),
          JSON.stringify(capacity),
          input.deputyId ?? null,
          input.team ?? null,
          input.voiceEndpoint ?? null,
        ],
      );
      await tx.query(`INSERT INTO agent_presence (agent_id) VALUES ($1)`, [created!.id]);
      await this.syncSlots(tx, created!.id, capacity);
      return created!.id;
    });
    return this.get(id);
  }

  async list(): Promise<Agent[]> {
    return (await rows<AgentRow>(this.dataSource.manager, `${SELECT_AGENT} ORDER BY a.created_at, a.id`)).map(
      toAgent,
    );
  }

  /**
   * A page of the roster, oldest first: at most `limit` agents after the agent `after` (the previous page's last),
   * and `next`, the cursor of the following page, while more follow. Keyset on (created_at, id), so agents added
   * or removed meanwhile shift no page. `after` that is no agent's id: ValidationFailed naming `cursor`.
   */
  async listPage(limit: number, after?: string): Promise<{ agents: Agent[]; next?: string }> {
    if (after !== undefined) {
      const known =
        isUuid(after) &&
        (await one<{ id: string }>(this.dataSource.manager, `SELECT id FROM agents WHERE id = $1`, [after]));
      if (!known)
        throw new ValidationFailed('cursor: no agent has this id (use the Link header of the previous page)');
    }
    const page = await rows<AgentRow>(
      this.dataSource.manager,
      `${SELECT_AGENT}
         AND ($2::uuid IS NULL OR (a.created_at, a.id) > (SELECT created_at, id FROM agents WHERE id = $2))
       ORDER BY a.created_at, a.id
       LIMIT $1`,
      [limit + 1, after ?? null],
    );
    const agents = page.slice(0, limit).map(toAgent);
    return page.length > limit ? { agents, next: agents[agents.length - 1].id } : { agents };
  }

  async find(id: string): Promise<Agent | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await one<AgentRow>(this.dataSource.manager, `${SELECT_AGENT} AND a.id = $1`, [id]);
    return row && toAgent(row);
  }

  async get(id: string): Promise<Agent> {
    const agent = await this.find(id);
    if (!agent) throw new NotFoundError('Agent', id);
    return agent;
  }

  async update(id: string, changes: AgentChanges): Promise<Agent> {
    const current = await this.get(id);
    if (changes.lines) await this.lines.assertDefined(changes.lines);
    if (changes.deputyId) await this.assertDeputy(changes.deputyId, id);
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `UPDATE agents SET name = $2, lines = $3, skills = $4, capacity = $5, deputy_id = $6, team = $7,
                voice_endpoint = $8, updated_at = now() WHERE id = $1`,
        [
          id,
          changes.name ?? current.name,
          [...new Set(changes.lines ?? current.lines)],
          JSON.stringify(changes.skills ?? current.skills),
          JSON.stringify(changes.capacity ?? current.capacity),
          changes.deputyId === undefined ? current.deputyId : changes.deputyId,
          changes.team === undefined ? current.team : changes.team,
          changes.voiceEndpoint === undefined ? current.voiceEndpoint : changes.voiceEndpoint,
        ],
      );
      if (changes.capacity) await this.syncSlots(tx, id, changes.capacity);
    });
    return this.get(id);
  }

  /**
   * Soft delete inside the caller's transaction: history keeps pointing at the agent, presence goes offline. Tokens
   * and pending offers belong to other libs: `AgentRosterService.remove` revokes them in the same transaction.
   * Returns false when there was no such (live) agent.
   */
  async markRemoved(sql: Sql, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const removed = await one<{ id: string }>(
      sql,
      `UPDATE agents SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [id],
    );
    if (!removed) return false;
    await sql.query(`UPDATE agent_presence SET state = 'offline', state_since = now() WHERE agent_id = $1`, [
      id,
    ]);
    return true;
  }

  /** A deputy must be another live agent: else ValidationFailed naming `deputyId`. */
  private async assertDeputy(deputyId: string, self?: string): Promise<void> {
    if (deputyId === self) throw new ValidationFailed('deputyId: an agent cannot be their own deputy');
    if (!(await this.find(deputyId)))
      throw new ValidationFailed(`deputyId: no agent has the id ${deputyId} (or it was removed)`);
  }

  async linesOf(sql: Sql, agentId: string): Promise<Line[]> {
    const row = await one<{ lines: Line[] }>(sql, `SELECT lines FROM agents WHERE id = $1`, [agentId]);
    return row?.lines ?? [];
  }

  /** Capacity lives in agent_slots too, where routing claims it atomically; `used` is never touched here. */
  private async syncSlots(
    sql: Sql,
    agentId: string,
    capacity: Partial<Record<Channel, number>>,
  ): Promise<void> {
    for (const channel of CHANNELS) {
      await sql.query(
        `INSERT INTO agent_slots (agent_id, channel, capacity) VALUES ($1, $2, $3)
         ON CONFLICT (agent_id, channel) DO UPDATE SET capacity = EXCLUDED.capacity`,
        [agentId, channel, capacity[channel] ?? 0],
      );
    }
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
