import { hostname } from 'node:os';
import { resolve } from 'node:path';
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
  redisUrl?: string;
  adminToken?: string;
  webhookSecret?: string;
  jwtSecret?: string;
  telephonyCallbackUrl?: string;
  /** contacts' personal data is erased this many days after they arrived; undefined: kept */
  retentionDays?: number;
  dataDir: string;
  embeddedPgPort: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  instanceId: string;
  agentDisconnectGraceSeconds: number;
  agentTokenTtlSeconds: number;
  queueSnapshotMs: number;
  timerPollMs: number;
  sweepMs: number;
  agentResyncMs: number;
  /** a silently vanished agent is noticed within socketPingIntervalMs + socketPingTimeoutMs */
  socketPingIntervalMs: number;
  socketPingTimeoutMs: number;
  adminRateLimitPerMinute: number;
  webhookRateLimitPerMinute: number;
  socketEventsPerSecond: number;
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

export function dataDirFrom(value: string | undefined): string {
  return resolve(value ?? '.tether-data');
}
