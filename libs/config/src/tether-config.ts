import { hostname } from 'node:os';
import { resolve } from 'node:path';

/** The apps whose port is fixed configuration; every other app is a line app, named after its line. */
export type FixedApp = 'admin' | 'gateway';

/** `admin`, `gateway`, or a line's name (a row of the `lines` table: `sales`, `presales`, `service` by default). */
export type AppName = FixedApp | (string & {});

/** Typed, validated configuration: the only shape the rest of the code sees (never process.env). */
export interface TetherConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  /** set when one app is started alone; overrides that app's port */
  portOverride?: number;
  ports: Record<AppName, number>;
  databaseUrl?: string;
  databasePoolSize: number;
  redisUrl?: string;
  eventBus: 'streams' | 'pubsub';
  adminToken?: string;
  webhookSecret?: string;
  jwtSecret?: string;
  telephonyCallbackUrl?: string;
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

export const DEFAULT_PORTS: Record<AppName, number> = {
  admin: 3000,
  sales: 3001,
  presales: 3002,
  service: 3003,
  gateway: 3005,
};

export const TETHER_CONFIG = Symbol('TETHER_CONFIG');

export function portFor(config: TetherConfig, app: AppName): number {
  return config.portOverride ?? config.ports[app];
}

export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
}

export function dataDirFrom(value: string | undefined): string {
  return resolve(value ?? '.tether-data');
}
