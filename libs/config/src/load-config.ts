import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { EnvSchema, envSchemaWithPorts } from './env.schema';
import { InvalidConfigError } from './invalid-config.error';
import { parseTrustedProxies } from './trusted-proxies';
import { secretProblems } from './secret-checks';
import {
  AppName,
  DEFAULT_PORTS,
  FIXED_APPS,
  FixedApp,
  TetherConfig,
  dataDirFrom,
  defaultInstanceId,
  portVariable,
} from './tether-config';

export { InvalidConfigError } from './invalid-config.error';

export interface LoadConfigOptions {
  /**
   * The apps this process runs. A line app's port variable (`<LINE>_PORT`) is named after its line, which is data,
   * so the schema cannot list them all: each app named here gets its variable read and validated as a port.
   */
  apps?: readonly AppName[];
  /** whether stdout is a terminal (LOG_FORMAT's default: `pretty` there, `json` otherwise); default: process.stdout's */
  stdoutIsTty?: boolean;
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const shown =
      e.value === undefined ? '' : ` (got ${JSON.stringify(redactIfSecret(e.property, e.value))})`;
    return `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}${shown}`;
  });
}

/** Variables that no longer exist: set, they would be silently ignored, so the start fails naming the new one. */
const REPLACED: Record<string, string> = {
  TETHER_ADMIN_RATE_LIMIT_PER_MINUTE:
    'replaced by TETHER_ADMIN_RATE_LIMIT_PER_SECOND (per admin token) and TETHER_AUTH_FAILURES_PER_MINUTE (refused attempts per address)',
  TETHER_WEBHOOK_RATE_LIMIT_PER_MINUTE: 'replaced by TETHER_WEBHOOK_RATE_LIMIT_PER_SECOND',
};

function replacedVariables(raw: Record<string, string>): string[] {
  return Object.entries(REPLACED)
    .filter(([name]) => name in raw)
    .map(([name, replacement]) => `${name}: ${replacement}`);
}

function redactIfSecret(name: string, value: unknown): unknown {
  if (/TOKEN|SECRET|PASSWORD/.test(name)) return '***';
  // a URL's password (DATABASE_URL, REDIS_URL) stays off the terminal and the logs too
  return typeof value === 'string' ? value.replace(/\/\/([^:@/]*):[^@]*@/, '//$1:***@') : value;
}

/** Reads and validates the environment; throws InvalidConfigError listing every bad variable. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): TetherConfig {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const lineApps = [...new Set(options.apps ?? [])].filter((app) => !FIXED_APPS.includes(app as FixedApp));
  const schema = envSchemaWithPorts(lineApps.map(portVariable));
  const parsed = plainToInstance(schema, raw, { enableImplicitConversion: false }) as EnvSchema &
    Record<string, unknown>;
  const errors = validateSync(parsed, { whitelist: false, skipMissingProperties: false });
  // production's secret rules, for the variables the schema did not already refuse: every problem listed at once
  const problems = [
    ...describe(errors),
    ...replacedVariables(raw),
    ...secretProblems(parsed, new Set(errors.map((error) => error.property))),
  ];
  if (problems.length > 0) throw new InvalidConfigError(problems);
  const linePorts: Record<string, number> = {};
  for (const app of lineApps) {
    const port = parsed[portVariable(app)];
    if (typeof port === 'number') linePorts[app] = port;
  }
  return {
    env: (parsed.NODE_ENV as TetherConfig['env']) ?? 'development',
    host: parsed.HOST ?? '0.0.0.0',
    portOverride: parsed.PORT,
    ports: {
      ...linePorts,
      admin: parsed.ADMIN_PORT ?? DEFAULT_PORTS.admin,
      gateway: parsed.GATEWAY_PORT ?? DEFAULT_PORTS.gateway,
    },
    databaseUrl: parsed.DATABASE_URL,
    databasePoolSize: parsed.DATABASE_POOL_SIZE ?? 10,
    databasePreparedStatements: parsed.TETHER_DB_PREPARED_STATEMENTS !== 'false',
    databasePipeline: parsed.TETHER_DB_PIPELINE !== 'false',
    databaseMigrationUrl: parsed.DATABASE_MIGRATION_URL,
    databaseRuntimeRole: parsed.TETHER_DB_RUNTIME_ROLE,
    schemaWaitSeconds: parsed.TETHER_SCHEMA_WAIT_SECONDS ?? 120,
    redisUrl: parsed.REDIS_URL,
    adminToken: parsed.TETHER_ADMIN_TOKEN,
    webhookSecret: parsed.TETHER_WEBHOOK_SECRET,
    webhookSecretPrevious: parsed.TETHER_WEBHOOK_SECRET_PREVIOUS,
    jwtSecret: parsed.TETHER_JWT_SECRET,
    jwtSecretPrevious: parsed.TETHER_JWT_SECRET_PREVIOUS,
    telephonyCallbackUrl: parsed.TETHER_TELEPHONY_CALLBACK_URL,
    notifyUrl: parsed.TETHER_NOTIFY_URL,
    notifyRatePerSecond: parsed.TETHER_NOTIFY_RATE_PER_SECOND ?? 50,
    channelUrl: parsed.TETHER_CHANNEL_URL,
    conversationIdleSeconds: parsed.TETHER_CONVERSATION_IDLE_SECONDS ?? 1800,
    twilio:
      parsed.TWILIO_ACCOUNT_SID && parsed.TWILIO_AUTH_TOKEN
        ? {
            accountSid: parsed.TWILIO_ACCOUNT_SID,
            authToken: parsed.TWILIO_AUTH_TOKEN,
            apiBaseUrl: (parsed.TWILIO_API_BASE_URL ?? 'https://api.twilio.com').replace(/\/+$/, ''),
            callerId: parsed.TWILIO_CALLER_ID,
          }
        : undefined,
    publicUrl: parsed.TETHER_PUBLIC_URL?.replace(/\/+$/, ''),
    consoleGatewayUrl: parsed.TETHER_CONSOLE_GATEWAY_URL?.replace(/\/+$/, ''),
    retentionDays: parsed.TETHER_RETENTION_DAYS,
    dataDir: dataDirFrom(parsed.TETHER_DATA_DIR),
    embeddedPgPort: parsed.TETHER_EMBEDDED_PG_PORT ?? 5439,
    embeddedPgSocket: parsed.TETHER_EMBEDDED_PG_SOCKET !== 'false',
    logLevel: parsed.LOG_LEVEL ?? 'info',
    logFormat:
      (parsed.LOG_FORMAT as 'json' | 'pretty' | undefined) ??
      ((options.stdoutIsTty ?? process.stdout.isTTY === true) ? 'pretty' : 'json'),
    instanceId: parsed.TETHER_INSTANCE_ID ?? defaultInstanceId(),
    agentDisconnectGraceSeconds: parsed.TETHER_AGENT_DISCONNECT_GRACE_SECONDS ?? 15,
    transferTimeoutSeconds: parsed.TETHER_TRANSFER_TIMEOUT_SECONDS ?? 60,
    agentTokenTtlSeconds: parsed.TETHER_AGENT_TOKEN_TTL_SECONDS ?? 12 * 3600,
    queueSnapshotMs: parsed.TETHER_QUEUE_SNAPSHOT_MS ?? 200,
    warmUp: parsed.TETHER_WARM_UP !== 'false',
    timerPollMs: parsed.TETHER_TIMER_POLL_MS ?? 250,
    sweepMs: parsed.TETHER_SWEEP_MS ?? 5000,
    metricsPort: parsed.TETHER_METRICS_PORT,
    agentResyncMs: parsed.TETHER_AGENT_RESYNC_MS ?? 5000,
    socketPingIntervalMs: parsed.TETHER_SOCKET_PING_INTERVAL_MS ?? 10_000,
    socketPingTimeoutMs: parsed.TETHER_SOCKET_PING_TIMEOUT_MS ?? 10_000,
    trustedProxies: parseTrustedProxies(parsed.TETHER_TRUSTED_PROXIES).cidrs,
    adminRateLimitPerSecond: parsed.TETHER_ADMIN_RATE_LIMIT_PER_SECOND ?? 100,
    authFailuresPerMinute: parsed.TETHER_AUTH_FAILURES_PER_MINUTE ?? 60,
    webhookRateLimitPerSecond: parsed.TETHER_WEBHOOK_RATE_LIMIT_PER_SECOND ?? 2000,
    socketHandshakesPerSecond: parsed.TETHER_SOCKET_HANDSHAKES_PER_SECOND ?? 200,
    agentMaxSockets: parsed.TETHER_AGENT_MAX_SOCKETS ?? 5,
    socketEventsPerSecond: parsed.TETHER_SOCKET_EVENTS_PER_SECOND ?? 20,
    intakeMaxInFlight: parsed.TETHER_INTAKE_MAX_IN_FLIGHT ?? 2000,
    intakeRetryAfterSeconds: parsed.TETHER_INTAKE_RETRY_AFTER_SECONDS ?? 1,
    // the bound is 100 ms p99 past the limit: the wait of what is admitted settles near the target, and
    // the queue built before the limit acts reaches about 2 x target + 100 ms, so half the bound (README)
    intakeTargetMs: parsed.TETHER_INTAKE_TARGET_MS ?? 50,
    intakeHoldFloor: parsed.TETHER_INTAKE_HOLD_FLOOR ?? 128,
  };
}

/** For main.ts files: load or print every problem and exit non-zero. */
export function loadConfigOrExit(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): TetherConfig {
  return exitIfInvalid(() => loadConfig(env, options));
}

/** Runs a step of configuration (loading it, resolving a port); an InvalidConfigError is printed and exits 78. */
export function exitIfInvalid<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
