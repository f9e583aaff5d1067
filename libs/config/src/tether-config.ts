import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { InvalidConfigError } from './invalid-config.error';

/** The apps whose port is fixed configuration; every other app is a line app, named after its line. */
export type FixedApp = 'admin' | 'gateway';
export const FIXED_APPS: readonly FixedApp[] = ['admin', 'gateway'];

/** `admin`, `gateway`, or a line's name (a row of the `lines` table: `sales`, `presales`, `service` by default). */
export type AppName = FixedApp | (string & {});

/** Typed, validated configuration: the only shape the rest of the code sees (never process.env). */
export interface TetherConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  /** set when one app is started alone; overrides that app's port */
  portOverride?: number;
  /**
   * admin's and gateway's ports (their variable or the default), and for every other app this process was loaded
   * for (`loadConfig(env, { apps })`) its `<APP>_PORT` when set: a line app without one listens on its line's
   * `default_port` from the `lines` table (see `portFor`).
   */
  ports: Record<FixedApp, number> & Partial<Record<string, number>>;
  databaseUrl?: string;
  databasePoolSize: number;
  /** the pool prepares its parameterised statements by name (TETHER_DB_PREPARED_STATEMENTS, default true) */
  databasePreparedStatements: boolean;
  /** a transaction's BEGIN goes out with its first statement, pipelined (TETHER_DB_PIPELINE, default true) */
  databasePipeline: boolean;
  /** the schema owner's connection, for migrating only (DATABASE_MIGRATION_URL); unset: databaseUrl migrates */
  databaseMigrationUrl?: string;
  /** TETHER_DB_RUNTIME_ROLE: who gets the apps' grants after a migration run (default: databaseUrl's user) */
  databaseRuntimeRole?: string;
  /** how long a process that does not migrate waits for the schema to reach its version */
  schemaWaitSeconds: number;
  redisUrl?: string;
  adminToken?: string;
  webhookSecret?: string;
  /** accepted for inbound signatures while set (rotation), never used to sign */
  webhookSecretPrevious?: string;
  jwtSecret?: string;
  /** accepted for agent tokens signed with it (their `kid` names it) while set, never used to sign */
  jwtSecretPrevious?: string;
  telephonyCallbackUrl?: string;
  /** where customer notices (incident announcements) are POSTed, signed like the telephony callbacks; unset: none */
  notifyUrl?: string;
  /** customer notices sent per second at most (each update's notices are spread out at this rate) */
  notifyRatePerSecond: number;
  /** where agents' replies on messaging channels are POSTed; unset: stored, not delivered */
  channelUrl?: string;
  /** a conversation idle this long (no message either way) ends its contact */
  conversationIdleSeconds: number;
  /** Twilio Programmable Voice: set when TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are */
  twilio?: { accountSid: string; authToken: string; apiBaseUrl: string; callerId?: string };
  /** what the telephony platform calls Tether at, when a proxy fronts it (TETHER_PUBLIC_URL) */
  publicUrl?: string;
  /** the gateway's public URL as the web console's page reaches it (TETHER_CONSOLE_GATEWAY_URL); unset: its host, gateway port */
  consoleGatewayUrl?: string;
  /** contacts' personal data is erased this many days after they arrived; undefined: kept */
  retentionDays?: number;
  dataDir: string;
  embeddedPgPort: number;
  /** the apps reach the embedded PostgreSQL over its unix socket when they can (TETHER_EMBEDDED_PG_SOCKET, default true) */
  embeddedPgSocket: boolean;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  instanceId: string;
  agentDisconnectGraceSeconds: number;
  /** a transfer to a line or to the case owner that nobody accepted within this long comes back to its agent */
  transferTimeoutSeconds: number;
  agentTokenTtlSeconds: number;
  queueSnapshotMs: number;
  /** warm the pool, the hot statements and each app's routes before listening (TETHER_WARM_UP, default true) */
  warmUp: boolean;
  timerPollMs: number;
  sweepMs: number;
  /** TETHER_METRICS_PORT: `/metrics` served there, once per process, and not on the apps' ports; unset: on each app's */
  metricsPort?: number;
  agentResyncMs: number;
  /** a silently vanished agent is noticed within socketPingIntervalMs + socketPingTimeoutMs */
  socketPingIntervalMs: number;
  socketPingTimeoutMs: number;
  /** TETHER_TRUSTED_PROXIES as CIDRs (`10.0.0.5/32`); empty: no proxy is trusted, the TCP peer is the client */
  trustedProxies: string[];
  /** authenticated admin requests per admin token per second */
  adminRateLimitPerSecond: number;
  /** refused attempts per client address per minute (admin token, socket handshakes) before 429 */
  authFailuresPerMinute: number;
  /** signed webhooks per client address per second */
  webhookRateLimitPerSecond: number;
  /** accepted socket.io handshakes per client address per second */
  socketHandshakesPerSecond: number;
  /** open /agents sockets per agent per gateway instance */
  agentMaxSockets: number;
  socketEventsPerSecond: number;
  /** call webhooks a line app serves at once before it answers 503 + Retry-After (0: no limit) */
  intakeMaxInFlight: number;
  intakeRetryAfterSeconds: number;
  /** the wait a call webhook should not exceed before the intake sheds what it cannot serve in time (0: off) */
  intakeTargetMs: number;
  /** webhooks that may wait before the latency target refuses any (a closed loop over that many connections) */
  intakeHoldFloor: number;
}

/** The contract's ports of the fixed apps. The line apps' defaults (3001-3003) are data: `lines.default_port`. */
export const DEFAULT_PORTS: Record<FixedApp, number> = {
  admin: 3000,
  gateway: 3005,
};

export const TETHER_CONFIG = Symbol('TETHER_CONFIG');

/** The variable that sets an app's port: `ADMIN_PORT`, `SALES_PORT`, `BILLING_PORT`, ... */
export function portVariable(app: AppName): string {
  return `${app.toUpperCase()}_PORT`;
}

/**
 * The port `app` listens on: PORT when it runs alone, else its `<APP>_PORT`, else `fallback` (a line app passes its
 * line's `default_port`). Without any of them: InvalidConfigError naming the variable to set.
 */
export function portFor(config: TetherConfig, app: AppName, fallback?: number | null): number {
  const port = config.portOverride ?? config.ports[app] ?? fallback ?? undefined;
  if (port === undefined) {
    throw new InvalidConfigError([
      `${portVariable(app)}: required: ${app} has no default port (no default_port in its row of the lines table); set ${portVariable(app)}, or PORT when it runs alone`,
    ]);
  }
  return port;
}

export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
}

/** Where root keeps the data of a checkout the `postgres` user cannot enter (see `dataDirFrom`). */
export const SYSTEM_DATA_DIR = '/var/lib/tether';

/**
 * TETHER_DATA_DIR, else `./.tether-data`: embedded PostgreSQL's cluster, its password and generated secrets. As
 * root, PostgreSQL runs as the `postgres` user, who cannot reach `./.tether-data` in a checkout under a private
 * directory (/root, `mktemp -d`: mode 0700); the default is then `/var/lib/tether/<checkout name>-<hash of its
 * path>`, the same for every start from that directory.
 */
export function dataDirFrom(
  value: string | undefined,
  cwd: string = process.cwd(),
  asRoot: boolean = process.getuid?.() === 0,
): string {
  if (value !== undefined) return resolve(cwd, value);
  const local = resolve(cwd, '.tether-data');
  if (!asRoot || reachableByOthers(local)) return local;
  const name = basename(cwd).replace(/[^A-Za-z0-9._-]/g, '-') || 'tether';
  const hash = createHash('sha256').update(cwd).digest('hex').slice(0, 12);
  return join(SYSTEM_DATA_DIR, `${name}-${hash}`);
}

/** other users can pass through every existing directory from `path` up to `/` */
function reachableByOthers(path: string): boolean {
  for (let current = path; ; current = dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    if (current === parse(current).root) return true;
  }
}
