import type { INestApplicationContext } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppName, TetherConfig, exitIfInvalid, loadConfigOrExit, portFor } from '@tether/config';

export type AppBuilder = (config: TetherConfig & { databaseUrl: string }) => Promise<NestFastifyApplication>;

/**
 * Provided by an app whose default port is data rather than configuration: a line app provides its line's
 * `default_port` (null when it has none). Read when neither PORT nor the app's `<APP>_PORT` is set.
 */
export const APP_DEFAULT_PORT = Symbol('APP_DEFAULT_PORT');

/** The default port an app provides (`APP_DEFAULT_PORT`), for `portFor`'s fallback; null when it provides none. */
export function defaultPortOf(app: INestApplicationContext): number | null {
  // through ModuleRef: the application's own `get` ends the process on an unknown token (Nest's abortOnError)
  try {
    return app
      .get(ModuleRef)
      .get<typeof APP_DEFAULT_PORT, number | null>(APP_DEFAULT_PORT, { strict: false });
  } catch {
    return null; // not provided: only the app's variable (or the fixed default) counts
  }
}

/**
 * `npm run start:<app>`: one app against DATABASE_URL (and REDIS_URL when several processes cooperate), for
 * production-style deployments. Exits non-zero, naming every bad variable, if the configuration is invalid.
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
  const app = await build({ ...config, databaseUrl: config.databaseUrl });
  app.enableShutdownHooks();
  const port = exitIfInvalid(() => portFor(config, name, defaultPortOf(app)));
  await app.listen(port, config.host);
  process.stdout.write(`tether ${name} listening on http://${displayHost(config.host)}:${port}\n`);
}

export function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}
