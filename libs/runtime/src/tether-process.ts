import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppName, TetherConfig, exitIfInvalid, loadConfigOrExit, portFor } from '@tether/config';
import { runWithLogger } from '@tether/observability';
import { defaultPortOf } from './app-default-port';
import { warmUpApp } from './app-warm-up';
import { ProcessRole, TetherCore } from './tether-core';

/** Builds one app (its transport: controllers, gateways, guards) on top of the process's core. */
export type AppBuilder = (core: TetherCore) => Promise<NestFastifyApplication>;

export interface StartedApp {
  name: AppName;
  port: number;
  /** where it listens, for people (`localhost` for a wildcard host) */
  url: string;
}

/**
 * A running Tether process, whichever entry point started it (`npm start` or `npm run start:<app>`): one core, then
 * each app on top of it. SIGINT/SIGTERM (or `stop`) close in reverse: the apps, then the core, then what the entry
 * point registered with `onStopped` (npm start: embedded PostgreSQL); then the process exits.
 */
export class TetherProcess {
  private core?: TetherCore;
  private readonly apps: NestFastifyApplication[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];
  private stopping = false;

  constructor() {
    process.on('SIGINT', () => void this.stop(0));
    process.on('SIGTERM', () => void this.stop(0));
  }

  /** Runs once the apps and the core are closed; the latest registered runs first. */
  onStopped(cleanup: () => Promise<void>): void {
    this.cleanups.unshift(cleanup);
  }

  /**
   * Starts the core, then builds each app and has it listen on its port. Everything an app sets up (its server and
   * the sockets it accepts, its listeners and timers) logs with the app's name; each HTTP request with a child of
   * that; the core's own work with `role`.
   */
  async start(
    config: TetherConfig & { databaseUrl: string },
    role: ProcessRole,
    apps: readonly (readonly [AppName, AppBuilder])[],
  ): Promise<StartedApp[]> {
    const core = await TetherCore.start(config, role);
    this.core = core;
    const built: { name: AppName; app: NestFastifyApplication }[] = [];
    for (const [name, build] of apps) {
      if (this.stopping) break;
      const app = await runWithLogger(core.loggerFor(name), async () => {
        const app = await build(core);
        this.apps.push(app);
        await app.init();
        // what Nest buffered while building it, written now under this app's name (listen, which would flush it,
        // comes after every app is built and the process is warm)
        app.flushLogs();
        return app;
      });
      built.push({ name, app });
    }
    // Nothing listens before the process is warm: no request is served cold, and /health (a load balancer's
    // readiness check, the bench's) answers only once the first call will be served like the thousandth.
    if (config.warmUp && !this.stopping) {
      const warmFrom = performance.now();
      const warmed = await core.warmUp();
      let requests = 0;
      for (const { name, app } of built)
        requests += await runWithLogger(core.loggerFor(name), () => warmUpApp(app));
      core
        .loggerFor(role)
        .info(
          { ...warmed, requests, ms: Math.round(performance.now() - warmFrom) },
          'warmed up: pool opened, hot statements run on every connection, a routing pass per line, each app sent its warm-up requests',
        );
    }
    const started: StartedApp[] = [];
    for (const { name, app } of built) {
      if (this.stopping) break;
      // a line app's default port is its row's (APP_DEFAULT_PORT), known once the app is built
      const port = exitIfInvalid(() => portFor(config, name, defaultPortOf(app)));
      await runWithLogger(core.loggerFor(name), () => app.listen(port, config.host));
      started.push({ name, port, url: `http://${displayHost(config.host)}:${port}` });
    }
    return started;
  }

  /** Closes the apps (newest first), the core, then the `onStopped` cleanups, and exits with `code`. Once. */
  async stop(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    process.stdout.write('\nstopping tether...\n');
    for (const app of this.apps.reverse()) await app.close().catch(() => undefined);
    await this.core?.close().catch(() => undefined);
    for (const cleanup of this.cleanups) await cleanup().catch(() => undefined);
    // the last line through the asynchronous log destination: pino writes what is still buffered on exit
    this.core?.loggerFor(this.core.role).info({ code }, 'tether stopped');
    process.exit(code);
  }
}

/**
 * `npm run start:<app>`: one app against DATABASE_URL (and REDIS_URL when several processes cooperate), for
 * production-style deployments: the same core as `npm start`, with one app on top. Exits non-zero, naming every bad
 * variable, if the configuration is invalid.
 */
export async function runSingleApp(name: AppName, build: AppBuilder): Promise<void> {
  const config = loadConfigOrExit(process.env, { apps: [name] });
  if (!config.databaseUrl) {
    process.stderr.write(
      `Invalid configuration:\n  - DATABASE_URL: required when starting one app alone (npm start runs everything on an embedded database)\n`,
    );
    process.exit(78);
  }
  if (!config.redisUrl) {
    process.stderr.write(
      `warning: REDIS_URL is not set: events stay inside this process, so other Tether processes will not see them.\n`,
    );
  }
  const tether = new TetherProcess();
  try {
    const [app] = await tether.start({ ...config, databaseUrl: config.databaseUrl }, name, [[name, build]]);
    process.stdout.write(`tether ${name} listening on ${app.url}\n`);
  } catch (error) {
    process.stderr.write(
      `${name} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await tether.stop(1);
  }
}

export function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}
