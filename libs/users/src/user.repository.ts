import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Role } from '@tether/auth';
import { ConflictError, NotFoundError, ValidationFailed } from '@tether/errors';
import { LineDirectory } from '@tether/lines';
import { one, rows } from '@tether/persistence';
import { NewUser, User, UserChanges, UserPage } from './user.types';

interface UserRow {
  id: string;
  name: string;
  role: Role;
  lines: string[];
  agent_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toUser(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    lines: row.lines,
    agentId: row.agent_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A unique index the database refused on, as the 409 it stands for. */
function conflictOf(error: unknown): ConflictError | undefined {
  const constraint = (error as { constraint?: string; code?: string }).constraint;
  if ((error as { code?: string }).code !== '23505') return undefined;
  if (constraint === 'users_name_key')
    return new ConflictError('user_name_taken', 'name: a user has this name');
  if (constraint === 'users_agent_key')
    return new ConflictError('agent_has_user', 'agentId: this agent is already linked to a user');
  return undefined;
}

/**
 * Users and their role: an admin (every line), a supervisor (their `lines`, defined lines, at least one), an agent
 * user (linked to one live agent, at most one user per agent). The role's shape is checked as a whole, so a PATCH
 * that changes the role must bring what the new role needs (400 naming the field).
 */
@Injectable()
export class UserRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lines: LineDirectory,
  ) {}

  async create(input: NewUser): Promise<User> {
    const user = await this.checked(input);
    try {
      const created = await one<UserRow>(
        this.dataSource.manager,
        `INSERT INTO users (name, role, lines, agent_id) VALUES ($1, $2, $3, $4) RETURNING *`,
        [user.name, user.role, user.lines, user.agentId],
      );
      return toUser(created!);
    } catch (error) {
      throw conflictOf(error) ?? error;
    }
  }

  async get(id: string): Promise<User> {
    const row = UUID.test(id)
      ? await one<UserRow>(this.dataSource.manager, `SELECT * FROM users WHERE id = $1`, [id])
      : undefined;
    if (!row) throw new NotFoundError('User', id);
    return toUser(row);
  }

  /** Oldest first, by id within a creation instant; `cursor` is the last id of the previous page. */
  async listPage(limit: number, cursor?: string): Promise<UserPage> {
    if (cursor !== undefined && !UUID.test(cursor)) throw new ValidationFailed('cursor must be a user id');
    const found = await rows<UserRow>(
      this.dataSource.manager,
      `SELECT * FROM users
        WHERE $1::uuid IS NULL
           OR (created_at, id) > (SELECT created_at, id FROM users WHERE id = $1)
        ORDER BY created_at, id LIMIT $2`,
      [cursor ?? null, limit + 1],
    );
    const page = found.slice(0, limit).map(toUser);
    return { users: page, next: found.length > limit ? page[page.length - 1].id : null };
  }

  async update(id: string, changes: UserChanges): Promise<User> {
    const current = await this.get(id);
    const roleChanged = changes.role !== undefined && changes.role !== current.role;
    const merged: NewUser = {
      name: changes.name ?? current.name,
      role: changes.role ?? current.role,
      // a new role drops what only the old role had, unless the change brings it
      lines:
        changes.lines ??
        (roleChanged ? undefined : current.role === 'supervisor' ? current.lines : undefined),
      agentId: changes.agentId ?? (roleChanged ? undefined : (current.agentId ?? undefined)),
    };
    const user = await this.checked(merged);
    try {
      const updated = await one<UserRow>(
        this.dataSource.manager,
        `UPDATE users SET name = $2, role = $3, lines = $4, agent_id = $5, updated_at = now()
          WHERE id = $1 RETURNING *`,
        [id, user.name, user.role, user.lines, user.agentId],
      );
      if (!updated) throw new NotFoundError('User', id);
      return toUser(updated);
    } catch (error) {
      throw conflictOf(error) ?? error;
    }
  }

  /** Deletes the user and (cascade) their tokens: their name is gone, the audit log keeps `user:<id>`. */
  async remove(id: string): Promise<void> {
    const deleted =
      UUID.test(id) &&
      (await one<{ id: string }>(this.dataSource.manager, `DELETE FROM users WHERE id = $1 RETURNING id`, [
        id,
      ]));
    if (!deleted) throw new NotFoundError('User', id);
  }

  /** The row as the role needs it, or a 400 naming the field. */
  private async checked(
    input: NewUser,
  ): Promise<{ name: string; role: Role; lines: string[]; agentId: string | null }> {
    const { name, role } = input;
    if (role === 'supervisor') {
      if (!input.lines || input.lines.length === 0)
        throw new ValidationFailed('lines: a supervisor needs at least one line');
      if (input.agentId !== undefined)
        throw new ValidationFailed('agentId: only an agent user is linked to an agent');
      await this.lines.assertDefined(input.lines);
      return { name, role, lines: [...new Set(input.lines)], agentId: null };
    }
    if (input.lines !== undefined && input.lines.length > 0)
      throw new ValidationFailed(
        role === 'admin'
          ? 'lines: an admin sees every line'
          : "lines: an agent user works on their agent's lines",
      );
    if (role === 'agent') {
      if (input.agentId === undefined)
        throw new ValidationFailed('agentId: an agent user needs the agent they work as');
      const agent =
        UUID.test(input.agentId) &&
        (await one<{ id: string }>(
          this.dataSource.manager,
          `SELECT id FROM agents WHERE id = $1 AND deleted_at IS NULL`,
          [input.agentId],
        ));
      if (!agent) throw new ValidationFailed(`agentId: no agent ${input.agentId}`);
      return { name, role, lines: [], agentId: input.agentId };
    }
    if (input.agentId !== undefined)
      throw new ValidationFailed('agentId: only an agent user is linked to an agent');
    return { name, role, lines: [], agentId: null };
  }
}
