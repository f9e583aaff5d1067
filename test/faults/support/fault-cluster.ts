import {
  type DatabasePool,
  FaultProxy,
  type Tether,
  type TetherApp,
  type TetherAppProcess,
  TelephonyClient,
  TestFloor,
  openDatabasePool,
  startTether,
  testDatabaseUrl,
  testRedisUrl,
} from '@tether/testing';
import { FAULT_ENV } from './faults';

/** The suite's set-up: 3 instances of each app over one PostgreSQL and one Redis. */
export const CLUSTER_INSTANCES = 3;

export interface FaultClusterOptions {
  /** the apps to run; default admin, sales and gateway (the specs drive the sales line) */
  apps?: readonly TetherApp[];
  /** processes of each app; default CLUSTER_INSTANCES. `counts` overrides it per app. */
  instances?: number;
  counts?: Partial<Record<TetherApp, number>>;
  /** environment of every process, over FAULT_ENV */
  env?: Record<string, string>;
  /** environment of one process (by app and 0-based index among that app's processes), over `env` */
  envOf?: (app: TetherApp, index: number) => Record<string, string> | undefined;
  /**
   * How the processes reach PostgreSQL: directly (default), through one FaultProxy they all share (`shared`: a
   * fault hits the whole cluster), or through a FaultProxy each (`each`: one process can be cut off alone).
   */
  postgres?: 'direct' | 'shared' | 'each';
  /** How they reach Redis: directly (default) or through one shared FaultProxy. */
  redis?: 'direct' | 'shared';
  /** per process; default 60 s (nine processes starting at once on two cores take a while) */
  startTimeoutMs?: number;
}

/** One process of the cluster, with its instance id and, with `postgres: 'each'`, its own proxy to PostgreSQL. */
export interface ClusterProcess extends TetherAppProcess {
  app: TetherApp;
  index: number;
  instanceId: string;
  postgres?: FaultProxy;
}

/**
 * N processes of each app over one PostgreSQL and one Redis, optionally behind FaultProxies, plus what every fault
 * spec needs next to them (a TestFloor, a direct database pool, clients per instance). Each process gets the
 * instance id `faults-<app>-<n>` (n from 1), so a spec can find its leases and log lines. The first process of
 * each app starts (and migrates) first, the others after it, so `tether.urls[app]` is instance 1.
 */
export class FaultCluster {
  readonly floor: TestFloor;
  readonly db: DatabasePool;
  private stopped = false;

  private constructor(
    readonly tether: Tether,
    readonly processes: readonly ClusterProcess[],
    /** the proxy every process reaches PostgreSQL through (`postgres: 'shared'`) */
    readonly postgresProxy: FaultProxy | undefined,
    /** the proxy every process reaches Redis through (`redis: 'shared'`) */
    readonly redisProxy: FaultProxy | undefined,
    private readonly proxies: readonly FaultProxy[],
  ) {
    this.floor = new TestFloor(tether);
    this.db = openDatabasePool(tether.databaseUrl);
  }

  static async start(options: FaultClusterOptions = {}): Promise<FaultCluster> {
    const apps = options.apps ?? ['admin', 'sales', 'gateway'];
    const countOf = (app: TetherApp) => options.counts?.[app] ?? options.instances ?? CLUSTER_INSTANCES;
    const proxies: FaultProxy[] = [];
    const proxy = async (target: string, label: string) => {
      const started = await FaultProxy.start({ target, label });
      proxies.push(started);
      return started;
    };
    let tether: Tether | undefined;
    try {
      const postgresProxy =
        options.postgres === 'shared' ? await proxy(testDatabaseUrl(), 'postgres') : undefined;
      const redisProxy = options.redis === 'shared' ? await proxy(testRedisUrl(), 'redis') : undefined;
      tether = await startTether({
        apps: [],
        env: { ...FAULT_ENV, ...options.env },
        ...(redisProxy ? { redisUrl: redisProxy.route(testRedisUrl()) } : {}),
        ...(postgresProxy ? { appDatabaseUrl: (url: string) => postgresProxy.route(url) } : {}),
        startTimeoutMs: options.startTimeoutMs ?? 60_000,
      });
      const started = tether;
      const launch = async (app: TetherApp, index: number): Promise<ClusterProcess> => {
        const instanceId = `faults-${app}-${index + 1}`;
        const own =
          options.postgres === 'each'
            ? await proxy(testDatabaseUrl(), `postgres of ${instanceId}`)
            : undefined;
        const env: Record<string, string> = {
          TETHER_INSTANCE_ID: instanceId,
          ...(own ? { DATABASE_URL: own.route(started.databaseUrl) } : {}),
          ...options.envOf?.(app, index),
        };
        const child = await started.startApp(app, env);
        return { ...child, app, index, instanceId, ...(own ? { postgres: own } : {}) };
      };
      const first = await Promise.all(apps.map((app) => launch(app, 0)));
      const rest = await Promise.all(
        apps.flatMap((app) => Array.from({ length: countOf(app) - 1 }, (_, i) => launch(app, i + 1))),
      );
      const processes = [...first, ...rest].sort(
        (a, b) => apps.indexOf(a.app) - apps.indexOf(b.app) || a.index - b.index,
      );
      return new FaultCluster(tether, processes, postgresProxy, redisProxy, proxies);
    } catch (error) {
      await tether?.stop().catch(() => undefined);
      await Promise.all(proxies.map((p) => p.stop()));
      throw error;
    }
  }

  /** The processes of one app, in instance order. */
  of(app: TetherApp): ClusterProcess[] {
    return this.processes.filter((p) => p.app === app);
  }

  /** One process by app and instance number (1-based, as in its instance id). */
  instance(app: TetherApp, n: number): ClusterProcess {
    const found = this.processes.find((p) => p.app === app && p.index === n - 1);
    if (!found) throw new Error(`no instance ${n} of ${app}`);
    return found;
  }

  /** Base URLs of the gateways, in instance order. */
  get gateways(): string[] {
    return this.of('gateway').map((p) => p.url);
  }

  /** A signed webhook client per process of a line app, in instance order. */
  lines(app: TetherApp = 'sales'): TelephonyClient[] {
    return this.of(app).map((p) => new TelephonyClient(p.url, this.tether.webhookSecret));
  }

  /** Stops the processes (and drops the database), then the proxies. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.db.close();
    await this.tether.stop();
    await Promise.all(this.proxies.map((p) => p.stop()));
  }
}
