import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { one, Sql } from '@tether/persistence';
import { Line, RoutingRules, mergeRoutingRules } from '@tether/routing';

/** Each line's routing rules. Read on every routing pass (a primary-key read), so a PUT applies to the next decision. */
@Injectable()
export class LineRoutingRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async get(
    line: Line,
    sql: Sql = this.dataSource.manager,
  ): Promise<RoutingRules & { version: number; updatedAt: string }> {
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
  }
}
