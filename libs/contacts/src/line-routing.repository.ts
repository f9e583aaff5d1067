import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { inTransaction, one, rows, Sql } from '@tether/persistence';
import {
  Line,
  NeverMatchPair,
  RoutingRules,
  RoutingRulesChange,
  diffRoutingRules,
  mergeRoutingRules,
} from '@tether/routing';
import { RoutingDraftNotFound, RoutingVersionNotFound, RoutingVersionStale } from './contact.errors';

export type VersionedRules = RoutingRules & { version: number; updatedAt: string };

/** How a version of a line's rules came to be. */
export type RoutingVersionSource = 'initial' | 'put' | 'rollback' | 'merge';

/** One entry of a line's routing history (`line_routing_versions`). */
export interface RoutingVersionEntry {
  version: number;
  /** the admin actor who wrote it (`admin:<hash>`, as in the audit log), `system` for the rules history began with */
  author: string;
  createdAt: string;
  source: RoutingVersionSource;
  /** for a rollback: the version whose rules it restored */
  restoredVersion: number | null;
  /** what changed from the version before it (empty for the first one history holds) */
  changes: RoutingRulesChange[];
}

/** A line's draft rules: saved, simulated, activated as the next version. */
export type RoutingDraft = RoutingRules & {
  line: Line;
  author: string;
  /** the live version when the draft was saved */
  basedOnVersion: number;
  updatedAt: string;
};

/** Who writes and on what condition: `expectedVersions` (If-Match) refuses the write unless the live version is one. */
export interface RoutingWrite {
  author: string;
  expectedVersions?: readonly number[];
}

/**
 * Each line's routing rules. The hot paths use `cached()` and hand its `version` to the database, which refuses the
 * work when the line's version moved on (`stale_rules`, the routing snapshot's `version`); the caller then `load()`s
 * the new rules and redoes it. So a PUT still applies to the very next decision, without a read per contact.
 * Every write is a new version, kept with its author in `line_routing_versions`.
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

  /**
   * Makes `rules` the line's live rules as a new version, recorded with its author. Under the line's row lock, so
   * of two writes made against the same version with `expectedVersions`, the second is refused (RoutingVersionStale).
   */
  async put(line: Line, rules: RoutingRules, write: RoutingWrite): Promise<number> {
    return this.write(line, rules, write, 'put', null);
  }

  /** Writes the rules of an earlier version again, as a new version (history only grows). */
  async rollback(line: Line, version: number, write: RoutingWrite): Promise<number> {
    const row = await one<{ rules: Partial<RoutingRules> }>(
      this.dataSource.manager,
      `SELECT rules FROM line_routing_versions WHERE line = $1 AND version = $2`,
      [line, version],
    );
    if (row === undefined) throw new RoutingVersionNotFound(line, version);
    return this.write(line, mergeRoutingRules(row.rules), write, 'rollback', version);
  }

  /** The line's versions, newest first, each with what it changed from the one before. */
  async versions(line: Line, limit: number): Promise<RoutingVersionEntry[]> {
    // one more than asked, so the oldest one listed has its predecessor to be compared with
    const found = await rows<{
      version: number;
      rules: Partial<RoutingRules>;
      author: string;
      created_at: Date;
      source: RoutingVersionSource;
      restored_version: number | null;
    }>(
      this.dataSource.manager,
      `SELECT version, rules, author, created_at, source, restored_version FROM line_routing_versions
        WHERE line = $1 ORDER BY version DESC LIMIT $2`,
      [line, limit + 1],
    );
    return found.slice(0, limit).map((row, i) => ({
      version: row.version,
      author: row.author,
      createdAt: row.created_at.toISOString(),
      source: row.source,
      restoredVersion: row.restored_version,
      changes:
        i + 1 < found.length
          ? diffRoutingRules(mergeRoutingRules(found[i + 1].rules), mergeRoutingRules(row.rules))
          : [],
    }));
  }

  /** The rules of one version, as they were written. */
  async version(line: Line, version: number): Promise<RoutingRules & { version: number }> {
    const row = await one<{ rules: Partial<RoutingRules> }>(
      this.dataSource.manager,
      `SELECT rules FROM line_routing_versions WHERE line = $1 AND version = $2`,
      [line, version],
    );
    if (row === undefined) throw new RoutingVersionNotFound(line, version);
    return { ...mergeRoutingRules(row.rules), version };
  }

  async draft(line: Line): Promise<RoutingDraft> {
    const row = await one<{
      rules: Partial<RoutingRules>;
      author: string;
      based_on_version: number;
      updated_at: Date;
    }>(
      this.dataSource.manager,
      `SELECT rules, author, based_on_version, updated_at FROM line_routing_drafts WHERE line = $1`,
      [line],
    );
    if (row === undefined) throw new RoutingDraftNotFound(line);
    return {
      line,
      ...mergeRoutingRules(row.rules),
      author: row.author,
      basedOnVersion: row.based_on_version,
      updatedAt: row.updated_at.toISOString(),
    };
  }

  /** Saves (or replaces) the line's draft; nothing is routed by it. */
  async saveDraft(line: Line, rules: RoutingRules, author: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO line_routing_drafts (line, rules, author, based_on_version)
         VALUES ($1, $2, $3, coalesce((SELECT version FROM line_routing WHERE line = $1), 0))
       ON CONFLICT (line) DO UPDATE SET rules = EXCLUDED.rules, author = EXCLUDED.author,
         based_on_version = EXCLUDED.based_on_version, updated_at = now()`,
      [line, JSON.stringify(rules), author],
    );
  }

  async deleteDraft(line: Line): Promise<void> {
    const deleted = await rows<{ line: string }>(
      this.dataSource.manager,
      `DELETE FROM line_routing_drafts WHERE line = $1 RETURNING line`,
      [line],
    );
    if (deleted.length === 0) throw new RoutingDraftNotFound(line);
  }

  /** Makes the draft the live rules (a new version, If-Match as for a PUT) and drops it, in one transaction. */
  async activateDraft(line: Line, write: RoutingWrite): Promise<number> {
    return this.write(line, null, write, 'put', null);
  }

  /**
   * A customer merge, in its transaction: every line whose live rules pair an agent with the customer merged away
   * (`neverMatch`) gets a new version (source `merge`, by `author`) naming the survivor instead, so the pair keeps
   * holding for the person (whose contacts now arrive under the survivor's id); drafts are rewritten in place. Pairs
   * that become duplicates are kept once. Answers the lines whose live rules changed; `forget` them after the commit.
   */
  async replaceNeverMatchCustomer(tx: Sql, fromId: string, intoId: string, author: string): Promise<Line[]> {
    const named = JSON.stringify([{ customerId: fromId }]);
    const live = await rows<{ line: Line; rules: Partial<RoutingRules> }>(
      tx,
      `SELECT line, rules FROM line_routing WHERE rules->'neverMatch' @> $1::jsonb ORDER BY line FOR UPDATE`,
      [named],
    );
    for (const { line, rules } of live) {
      const merged = mergeRoutingRules({ ...rules, neverMatch: pairsFor(rules.neverMatch, fromId, intoId) });
      await tx.query(
        `WITH up AS (
           UPDATE line_routing SET rules = $2, version = version + 1, updated_at = now() WHERE line = $1
           RETURNING version, updated_at)
         INSERT INTO line_routing_versions (line, version, rules, author, created_at, source)
           SELECT $1, up.version, $2, $3, up.updated_at, 'merge' FROM up`,
        [line, JSON.stringify(merged), author],
      );
    }
    const drafts = await rows<{ line: Line; rules: Partial<RoutingRules> }>(
      tx,
      `SELECT line, rules FROM line_routing_drafts WHERE rules->'neverMatch' @> $1::jsonb FOR UPDATE`,
      [named],
    );
    for (const { line, rules } of drafts)
      await tx.query(`UPDATE line_routing_drafts SET rules = $2 WHERE line = $1`, [
        line,
        JSON.stringify({ ...rules, neverMatch: pairsFor(rules.neverMatch, fromId, intoId) }),
      ]);
    return live.map((row) => row.line);
  }

  /** Drops this process's copy of the lines' rules (the next decision reads them). */
  forget(lines: readonly Line[]): void {
    for (const line of lines) this.cache.delete(line);
  }

  /** `rules` null: the line's draft, which the same transaction deletes (RoutingDraftNotFound without one) */
  private async write(
    line: Line,
    given: RoutingRules | null,
    { author, expectedVersions }: RoutingWrite,
    source: RoutingVersionSource,
    restoredVersion: number | null,
  ): Promise<number> {
    const version = await inTransaction(this.dataSource, async (tx) => {
      // a line added after the initial schema may have no row yet: version 0 with the defaults is what it reads as
      await tx.query(
        `INSERT INTO line_routing (line, rules, version) VALUES ($1, $2, 0) ON CONFLICT (line) DO NOTHING`,
        [line, JSON.stringify(mergeRoutingRules())],
      );
      const current = await one<{ version: number }>(
        tx,
        `SELECT version FROM line_routing WHERE line = $1 FOR UPDATE`,
        [line],
      );
      const live = current?.version ?? 0;
      if (expectedVersions !== undefined && !expectedVersions.includes(live))
        throw new RoutingVersionStale(line, expectedVersions, live);
      let rules = given;
      if (rules === null) {
        const draft = await one<{ rules: Partial<RoutingRules> }>(
          tx,
          `DELETE FROM line_routing_drafts WHERE line = $1 RETURNING rules`,
          [line],
        );
        if (draft === undefined) throw new RoutingDraftNotFound(line);
        rules = mergeRoutingRules(draft.rules);
      }
      const written = await one<{ version: number }>(
        tx,
        `WITH up AS (
           UPDATE line_routing SET rules = $2, version = version + 1, updated_at = now() WHERE line = $1
           RETURNING version, updated_at)
         INSERT INTO line_routing_versions (line, version, rules, author, created_at, source, restored_version)
           SELECT $1, up.version, $2, $3, up.updated_at, $4, $5 FROM up
         RETURNING version`,
        [line, JSON.stringify(rules), author, source, restoredVersion],
      );
      if (written === undefined) throw new Error(`line ${line}'s routing rules could not be written`);
      return written.version;
    });
    this.cache.delete(line);
    return version;
  }
}

/** The pairs with `fromId` replaced by `intoId`, each pair once. */
function pairsFor(pairs: NeverMatchPair[] | undefined, fromId: string, intoId: string): NeverMatchPair[] {
  const seen = new Set<string>();
  const out: NeverMatchPair[] = [];
  for (const pair of pairs ?? []) {
    const customerId = pair.customerId === fromId ? intoId : pair.customerId;
    const key = `${pair.agentId}/${customerId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ agentId: pair.agentId, customerId });
  }
  return out;
}
