import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rows } from '@tether/persistence';
import type { Line } from '@tether/routing';
import { LineNotDefined, UnknownLines } from './line.errors';
import { LINE_NAME_PATTERN, LineDefinition } from './line.types';

/**
 * How long a read of `lines` serves before the next caller reads again. Short: a line added by SQL reaches every
 * process's sweeps and supervisors' queue within it; a lookup that misses reads at once anyway.
 */
export const LINES_CACHE_TTL_MS = 5_000;

interface LineRow {
  name: string;
  title: string;
  default_port: number | null;
  created_at: Date;
}

/**
 * The lines Tether serves: the rows of the `lines` table, which this lib owns. Read through a small cache (the
 * table has a handful of rows and changes rarely); a name that is not in the cache is looked up again before it
 * counts as unknown, so a line added a moment ago is found at once.
 */
@Injectable()
export class LineDirectory {
  private cached?: { lines: ReadonlyMap<Line, LineDefinition>; readAt: number };
  private reading?: Promise<ReadonlyMap<Line, LineDefinition>>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Every defined line, oldest first (the three defaults, then the added ones). */
  async list(): Promise<LineDefinition[]> {
    return [...(await this.current()).values()];
  }

  async names(): Promise<Line[]> {
    return [...(await this.current()).keys()];
  }

  async find(name: string): Promise<LineDefinition | undefined> {
    if (!LINE_NAME_PATTERN.test(name)) return undefined;
    return (await this.current()).get(name) ?? (await this.refresh()).get(name);
  }

  /** The line's row; LineNotDefined (not_found) when there is none. */
  async require(name: string): Promise<LineDefinition> {
    const line = await this.find(name);
    if (!line) throw new LineNotDefined(name, await this.names());
    return line;
  }

  /** UnknownLines (invalid, naming `field`) unless every name is a defined line. */
  async assertDefined(names: readonly string[], field = 'lines'): Promise<void> {
    let lines = await this.current();
    if (names.every((name) => lines.has(name))) return;
    lines = await this.refresh();
    const unknown = [...new Set(names.filter((name) => !lines.has(name)))];
    if (unknown.length > 0) throw new UnknownLines(field, unknown, [...lines.keys()]);
  }

  /**
   * The lines as last read. Past the TTL a read starts in the background and the known lines are answered at once:
   * the routing sweep must not wait on a database that is stalled or cut (its passes are what recover the queue),
   * and lines change rarely; a name not found still forces a read (`require`, `assertDefined`).
   */
  private async current(): Promise<ReadonlyMap<Line, LineDefinition>> {
    if (!this.cached) return this.refresh();
    if (Date.now() - this.cached.readAt >= LINES_CACHE_TTL_MS) this.refresh().catch(() => undefined);
    return this.cached.lines;
  }

  /** Reads the table; callers that arrive while a read is under way share it. */
  private refresh(): Promise<ReadonlyMap<Line, LineDefinition>> {
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<ReadonlyMap<Line, LineDefinition>> {
    const found = await rows<LineRow>(
      this.dataSource.manager,
      `SELECT name, title, default_port, created_at FROM lines ORDER BY created_at, name`,
    );
    const lines = new Map(
      found.map((row): [Line, LineDefinition] => [
        row.name,
        {
          name: row.name,
          title: row.title,
          defaultPort: row.default_port,
          createdAt: row.created_at.toISOString(),
        },
      ]),
    );
    this.cached = { lines, readAt: Date.now() };
    return lines;
  }
}
