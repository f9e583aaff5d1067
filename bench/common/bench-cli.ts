import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The repository root: bench files run from dist/bench/<part>/, sources sit in bench/<part>/. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/**
 * The few command-line options every benchmark understands (`scripts/run-bench.mjs` passes them):
 * `--json <file>` where to write the machine-readable result, plus `--<name> <value>` tuning options that each
 * benchmark reads with `option()` and documents in its header comment.
 */
export class BenchArgs {
  private readonly values = new Map<string, string>();

  constructor(argv: readonly string[] = process.argv.slice(2)) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
      const eq = arg.indexOf('=');
      if (eq > 0) this.values.set(arg.slice(2, eq), arg.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) this.values.set(arg.slice(2), argv[++i]);
      else this.values.set(arg.slice(2), 'true');
    }
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.values.get(name) ?? fallback;
  }

  number(name: string, fallback: number): number {
    const raw = this.values.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number (got ${raw})`);
    return value;
  }

  numbers(name: string, fallback: readonly number[]): number[] {
    const raw = this.values.get(name);
    if (raw === undefined) return [...fallback];
    return raw.split(',').map((part) => {
      const value = Number(part);
      if (!Number.isFinite(value) || value <= 0)
        throw new Error(`--${name} must be a comma-separated list of numbers`);
      return value;
    });
  }

  flag(name: string): boolean {
    const raw = this.values.get(name);
    return raw !== undefined && raw !== 'false';
  }
}

/** The PostgreSQL server the benchmarks create their databases on (the runner provisions one). */
export function serverDatabaseUrl(): string {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url)
    throw new Error(
      'BENCH_DATABASE_URL (or DATABASE_URL) must point at a PostgreSQL server: run `npm run bench`',
    );
  return url;
}

export function redisUrl(): string {
  const url = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL;
  if (!url)
    throw new Error('BENCH_REDIS_URL (or REDIS_URL) must point at a Redis server: run `npm run bench`');
  return url;
}

export function writeJson(file: string | undefined, data: unknown): void {
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

export function header(text: string): void {
  console.log(`\n-- ${text}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Runs `work` over `items` with at most `concurrency` in flight; results keep the items' order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
