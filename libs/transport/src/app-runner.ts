import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppName, TetherConfig, loadConfigOrExit, portFor } from '@tether/config';

export type AppBuilder = (config: TetherConfig & { databaseUrl: string }) => Promise<NestFastifyApplication>;

/**
 * `npm run start:<app>`: one app against DATABASE_URL (and REDIS_URL when several processes cooperate), for
 * production-style deployments. Exits non-zero, naming every bad variable, if the configuration is invalid.
 */
export async function runSingleApp(name: AppName, build: AppBuilder): Promise<void> {
  const config = loadConfigOrExit();
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
  const port = portFor(config, name);
  await app.listen(port, config.host);
  process.stdout.write(`tether ${name} listening on http://${displayHost(config.host)}:${port}\n`);
}

export function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}
