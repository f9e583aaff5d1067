import { createDataSource, runMigrations } from '@tether/persistence';
import { postgresProcesses } from './proc-stats';

/**
 * Each benchmark runs on a database of its own, created fresh on the server the runner provisioned (or
 * BENCH_DATABASE_URL), so runs start from the same empty state and never touch anyone's data.
 */
export class BenchDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly serverUrl: string,
  ) {}

  static async create(serverUrl: string, name: string): Promise<BenchDatabase> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    await withServer(serverUrl, async (query) => {
      await query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await query(`CREATE DATABASE ${name}`);
    });
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return new BenchDatabase(name, url.toString(), serverUrl);
  }

  /** Applies Tether's real migrations (what the apps do at start-up). */
  async migrate(): Promise<void> {
    // two connections: runMigrations holds its advisory lock on one and migrates on another
    const dataSource = await createDataSource(this.url, 2, 'tether-bench').initialize();
    try {
      await runMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
  }

  async query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    let result: T[] = [];
    await withDatabase(this.url, async (query) => {
      result = (await query(text, params)) as T[];
    });
    return result;
  }

  /** The server's processes (for CPU figures), found from a live backend of ours while it is connected. */
  async serverProcesses(): Promise<() => number[]> {
    let processes: () => number[] = () => [];
    await withDatabase(this.url, async (query) => {
      const [{ pid }] = (await query('SELECT pg_backend_pid() AS pid')) as { pid: number }[];
      processes = postgresProcesses(pid);
    });
    return processes;
  }

  async drop(): Promise<void> {
    await withServer(this.serverUrl, (query) => query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

type Query = (text: string, params?: unknown[]) => Promise<unknown>;

async function withDatabase(url: string, work: (query: Query) => Promise<unknown>): Promise<void> {
  const dataSource = await createDataSource(url, 1, 'tether-bench').initialize();
  try {
    await work((text, params) => dataSource.query(text, params));
  } finally {
    await dataSource.destroy();
  }
}

const withServer = withDatabase;
