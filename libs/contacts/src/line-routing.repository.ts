import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { one, Sql } from '@tether/persistence';
import { Line, RoutingRules, mergeRoutingRules } from '@tether/routing';

export type VersionedRules = RoutingRules & { version: number; updatedAt: string };

/**
 * Each line's routing rules. The hot paths use `cached()` and hand its `version` to the database, which refuses the
 * work when the line's version moved on (`stale_rules`, the routing snapshot's `version`); the caller then `load()`s
 * the new rules and redoes it. So a PUT still applies to the very next decision, without a read per contact.
 */
@Injectable()
export class LineRoutingRepository {
  /** the newest version of each line's rules this repository has read */
  private readonly cache = new Map<Line, VersionedRules>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The newest rules this process has seen (reads them the first time). */
  async cached(line: Line): Promise<VersionedRules> {
    return this.cache.get(line) ?? this.load(line);
  }

  /** Reads the rules from the database and remembers them. */
  async load(line: Line, sql: Sql = this.dataSource.manager): Promise<VersionedRules> {
    const rules = await this.get(line, sql);
    this.cache.set(line, rules);
    return rules;
  }

  async get(line: Line, sql: Sql = this.dataSource.manager): Promise<VersionedRules> {
    const row = await one<{ rules: Partial<RoutingRules>; version: number; updated_at: Date }>(
      sql,
      `SELECT rules, version, updated_at FROM line_routing WHERE line = $1`,
      [line],
    );
    return {
      ...mergeRoutingRules(row?.rules),
      version: row?.version ?? 0,
      updatedAt: (row?.updated_at ?? new Date(0)).toISOString(),
    };
  }

  async put(line: Line, rules: RoutingRules): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO line_routing (line, rules) VALUES ($1, $2)
       ON CONFLICT (line) DO UPDATE SET rules = EXCLUDED.rules, version = line_routing.version + 1, updated_at = now()`,
      [line, JSON.stringify(rules)],
    );
    this.cache.delete(line);
  }
}
