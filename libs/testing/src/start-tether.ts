import { AdminClient } from './admin-client';
import { AgentClient } from './agent-client';
import { AppProcess, START_TIMEOUT_MS } from './app-process';
import { e2eFailureCount } from './e2e-globals';
import { freePort } from './free-port';
import { TelephonyClient } from './telephony-client';
import { createTestDatabase, type TestDatabase } from './test-database';
import { testRedisUrl } from './test-redis';
import type { Line } from './wire-types';

/** The apps with an entry point in the repository (`apps/<app>/src/main.ts`): the fixed ones and the default lines. */
export const TETHER_APPS = ['admin', 'sales', 'presales', 'service', 'gateway'] as const;
export type TetherApp = (typeof TETHER_APPS)[number];

/** Fixed credentials of every system the tests start (long enough for the env schema's minimums). */
export const TEST_ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
export const TEST_WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789abcdef';

/** An app's own port variable, as Tether names it: `ADMIN_PORT`, `SALES_PORT`, `BILLING_PORT`, ... */
export function portVariableOf(app: string): string {
  return `${app.toUpperCase()}_PORT`;
}

export interface StartTetherOptions {
  /** extra environment for every process, winning over the defaults (TETHER_TELEPHONY_CALLBACK_URL, ...) */
  env?: Record<string, string>;
  /**
   * Start these apps as separate processes (`node dist/apps/<app>/src/main.js`) sharing one database and Redis,
   * instead of the standalone process that runs all five. More processes of an app: `startApp`.
   */
  apps?: readonly TetherApp[];
  /** Redis for separate processes; default TEST_REDIS_URL. The standalone process uses its in-process bus. */
  redisUrl?: string;
  /** default 30 s; on a timeout the error carries the processes' output */
  startTimeoutMs?: number;
  /**
   * The DATABASE_URL the processes get, made from the fresh database's URL: e.g. `(url) => proxy.route(url)` to
   * put a FaultProxy between the apps and PostgreSQL. The harness itself (`databaseUrl`, the drop in `stop()`)
   * keeps the direct URL. (Redis: `redisUrl`. One process only: `startApp(app, { DATABASE_URL, REDIS_URL })`.)
   */
  appDatabaseUrl?: (databaseUrl: string) => string;
}

export interface TetherAppProcess {
  /** the app, `standalone`, or the label of a process started by `startEntryPoint` */
  app: TetherApp | 'standalone' | (string & {});
  /** base URL (the first app's, for the standalone process) */
  url: string;
  child: AppProcess;
}

/**
 * Short timers so tests wait milliseconds, not seconds: timer polling every 50 ms, the routing sweep every second.
 * Warnings and errors only in the captured output, which is printed when a test of the file fails.
 */
const DEFAULT_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  TETHER_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
  TETHER_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
  TETHER_TIMER_POLL_MS: '50',
  TETHER_SWEEP_MS: '1000',
  // every request of a test file comes from 127.0.0.1 with one admin token, and the security specs refuse hundreds
  // on purpose: the limits are not what most tests test (test/abuse-limits.e2e-spec.ts starts Tether with defaults)
  TETHER_ADMIN_RATE_LIMIT_PER_SECOND: '100000',
  TETHER_AUTH_FAILURES_PER_MINUTE: '100000',
  TETHER_SOCKET_HANDSHAKES_PER_SECOND: '100000',
  // a test's burst of webhooks on a busy machine is not the overload the intake's latency target sheds
  // (test/intake-admission and test/abuse-limits run with it)
  TETHER_INTAKE_TARGET_MS: '0',
};

/** A running Tether on a fresh database, driven from outside like production is. */
export class Tether {
  readonly adminToken = TEST_ADMIN_TOKEN;
  readonly webhookSecret = TEST_WEBHOOK_SECRET;
  /** base URL per app; reading an app this system did not start throws, naming the apps it did start */
  readonly urls: Readonly<Record<TetherApp, string>>;
  private readonly running: TetherAppProcess[] = [];
  private readonly failuresAtStart = e2eFailureCount();
  /** ports handed to this system's processes, so two started at once never get the same one */
  private readonly ports = new Set<number>();
  /** processes of each app asked for so far, for their labels */
  private readonly launched = new Map<TetherApp, number>();
  private stopped = false;

  private constructor(
    private readonly database: TestDatabase,
    private readonly env: Record<string, string>,
    private readonly redisUrl: string | undefined,
    private readonly startTimeoutMs: number,
    private readonly appUrls: Partial<Record<TetherApp, string>>,
  ) {
    const view = {} as Record<TetherApp, string>;
    for (const app of TETHER_APPS) {
      Object.defineProperty(view, app, {
        enumerable: true,
        get: () => {
          const url = this.appUrls[app];
          if (url === undefined)
            throw new Error(`${app} was not started (started: ${Object.keys(this.appUrls).join(', ')})`);
          return url;
        },
      });
    }
    this.urls = view;
  }

  /**
   * Creates a fresh test database, picks free ports and starts Tether on them, resolving once every /health
   * answers 200. Pair with `stop()` in afterAll.
   */
  static async start(options: StartTetherOptions = {}): Promise<Tether> {
    const database = await createTestDatabase();
    const appDatabaseUrl = options.appDatabaseUrl ? options.appDatabaseUrl(database.url) : database.url;
    const env = { ...DEFAULT_ENV, DATABASE_URL: appDatabaseUrl, ...options.env };
    const timeout = options.startTimeoutMs ?? START_TIMEOUT_MS;
    try {
      if (!options.apps) {
        const urls: Partial<Record<TetherApp, string>> = {};
        const portEnv: Record<string, string> = {};
        const taken = new Set<number>();
        for (const app of TETHER_APPS) {
          const port = await distinctFreePort(taken);
          urls[app] = `http://127.0.0.1:${port}`;
          portEnv[portVariableOf(app)] = String(port);
        }
        const tether = new Tether(database, env, undefined, timeout, urls);
        const standalone = await AppProcess.start({
          label: 'tether',
          script: 'dist/apps/standalone/src/main.js',
          env: { ...env, ...portEnv },
          healthUrls: TETHER_APPS.map((app) => `${tether.urls[app]}/health`),
          startTimeoutMs: timeout,
        });
        tether.running.push({ app: 'standalone', url: tether.urls.admin, child: standalone });
        return tether;
      }
      const redisUrl = options.redisUrl ?? testRedisUrl();
      const tether = new Tether(database, env, redisUrl, timeout, {});
      const started = await Promise.allSettled(options.apps.map((app) => tether.startApp(app)));
      const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        await tether.stop();
        throw failed.reason;
      }
      return tether;
    } catch (error) {
      await database.drop().catch(() => undefined);
      throw error;
    }
  }

  get databaseUrl(): string {
    return this.database.url;
  }

  get processes(): readonly TetherAppProcess[] {
    return this.running;
  }

  /**
   * One more process of `app` on a free port, over the same database and Redis. The first process of an app
   * becomes `urls[app]`; later ones are reached through the returned `url`. `env` wins over everything else, so
   * one process can get its own DATABASE_URL / REDIS_URL (through a FaultProxy) or TETHER_INSTANCE_ID.
   */
  async startApp(app: TetherApp, env: Record<string, string> = {}): Promise<TetherAppProcess> {
    // counted when asked, not when started: processes of one app started at once get distinct labels
    const sameApp = this.launched.get(app) ?? 0;
    this.launched.set(app, sameApp + 1);
    const entry = await this.launch(app, `dist/apps/${app}/src/main.js`, {
      label: sameApp === 0 ? app : `${app}#${sameApp + 1}`,
      env,
    });
    this.appUrls[app] ??= entry.url;
    return entry;
  }

  /**
   * Any entry point (`script`: relative to the repository root, or absolute, e.g. a new line's main.js written to a
   * temporary directory) as one more process of this system, over the same database and Redis, on a free port
   * passed in `portVariable` (default PORT; `BILLING_PORT` to start a line app by its line's variable). Its `app`
   * is its label.
   */
  startEntryPoint(
    script: string,
    options: { label: string; portVariable?: string; env?: Record<string, string> },
  ): Promise<TetherAppProcess> {
    return this.launch(options.label, script, options);
  }

  private async launch(
    app: TetherAppProcess['app'],
    script: string,
    options: { label: string; portVariable?: string; env?: Record<string, string> },
  ): Promise<TetherAppProcess> {
    if (this.redisUrl === undefined)
      throw new Error('starting a process needs a system started with `apps` (processes sharing Redis)');
    const port = await distinctFreePort(this.ports);
    const url = `http://127.0.0.1:${port}`;
    const child = await AppProcess.start({
      label: options.label,
      script,
      env: {
        ...this.env,
        REDIS_URL: this.redisUrl,
        [options.portVariable ?? 'PORT']: String(port),
        ...options.env,
      },
      healthUrls: [`${url}/health`],
      startTimeoutMs: this.startTimeoutMs,
    });
    const entry: TetherAppProcess = { app, url, child };
    this.running.push(entry);
    return entry;
  }

  /** The environment every process of this system gets (DATABASE_URL, credentials, short timers). */
  get processEnv(): Readonly<Record<string, string>> {
    return { ...this.env, ...(this.redisUrl === undefined ? {} : { REDIS_URL: this.redisUrl }) };
  }

  admin(token: string | null = this.adminToken): AdminClient {
    return new AdminClient(this.urls.admin, token);
  }

  /** The telephony client of a line app this system started (a default line's; another's: its process's url). */
  line(line: Line): TelephonyClient {
    if (!(TETHER_APPS as readonly string[]).includes(line))
      throw new Error(`${line} has no entry point here: use the url of the process that serves it`);
    return new TelephonyClient(this.urls[line as TetherApp], this.webhookSecret);
  }

  agent(token: string, agentId?: string, headers?: Record<string, string>): AgentClient {
    return new AgentClient(this.urls.gateway, token, agentId, headers);
  }

  /** Everything the processes printed, each block headed by the process's name. */
  logs(): string {
    return this.running.map(({ child }) => `--- ${child.label} ---\n${child.logs()}`).join('\n');
  }

  /**
   * Stops every process (SIGINT, SIGKILL after 10 s) and drops the database. If a test failed since the start,
   * the processes' output goes to stderr first: that is usually where the reason is.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.running.map(({ child }) => child.stop()));
    if (e2eFailureCount() > this.failuresAtStart) {
      process.stderr.write(`\n=== a test failed: output of the Tether processes ===\n${tail(this.logs())}\n`);
    }
    await this.database.drop();
  }
}

export function startTether(options?: StartTetherOptions): Promise<Tether> {
  return Tether.start(options);
}

/** freePort() may hand out a port it just handed out (it was released in between): skip those we took. */
async function distinctFreePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (taken.has(port)) continue;
    taken.add(port);
    return port;
  }
}

function tail(text: string, maxChars = 30_000): string {
  return text.length > maxChars
    ? `[... ${text.length - maxChars} chars cut]\n${text.slice(-maxChars)}`
    : text;
}
