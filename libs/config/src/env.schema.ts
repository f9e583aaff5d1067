import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * Every environment variable Tether reads, in one place. `loadConfig` validates process.env against it at boot
 * and refuses to start listing every bad variable. Documented in README's configuration table and .env.example.
 */
export class EnvSchema {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  @IsString()
  HOST?: string;

  /** Port of the one app started by `npm run start:<app>`; overrides that app's own *_PORT. */
  // Line apps' ports (SALES_PORT, BILLING_PORT, ...) are named after lines, which are data: see envSchemaWithPorts.
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  ADMIN_PORT?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  GATEWAY_PORT?: number;

  @IsOptional()
  @IsUrl(
    { protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true },
    { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' },
  )
  DATABASE_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE?: number;

  @IsOptional()
  @IsUrl(
    { protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true },
    { message: 'REDIS_URL must be a redis:// or rediss:// URL' },
  )
  REDIS_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'TETHER_ADMIN_TOKEN must be at least 16 characters' })
  TETHER_ADMIN_TOKEN?: string;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'TETHER_WEBHOOK_SECRET must be at least 16 characters' })
  TETHER_WEBHOOK_SECRET?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'TETHER_JWT_SECRET must be at least 32 characters' })
  TETHER_JWT_SECRET?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'TETHER_TELEPHONY_CALLBACK_URL must be an http(s) URL' },
  )
  TETHER_TELEPHONY_CALLBACK_URL?: string;

  /**
   * Retention of personal data: contacts older than this many days lose their caller number, number called, IVR
   * input and notes (a daily durable job); unset: kept.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'TETHER_RETENTION_DAYS must be a whole number of days' })
  @Min(1)
  @Max(36_500)
  TETHER_RETENTION_DAYS?: number;

  @IsOptional()
  @IsString()
  TETHER_DATA_DIR?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  TETHER_EMBEDDED_PG_PORT?: number;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional()
  @IsIn(['json', 'pretty'])
  LOG_FORMAT?: string;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, {
    message: 'TETHER_INSTANCE_ID may hold letters, digits, . _ - (max 64)',
  })
  TETHER_INSTANCE_ID?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3600)
  TETHER_AGENT_DISCONNECT_GRACE_SECONDS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(30 * 24 * 3600)
  TETHER_AGENT_TOKEN_TTL_SECONDS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  TETHER_QUEUE_SNAPSHOT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  TETHER_TIMER_POLL_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  TETHER_SWEEP_MS?: number;

  /** how often a gateway re-checks its agents' sockets against PostgreSQL (offers missed or revoked meanwhile) */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(600_000)
  TETHER_AGENT_RESYNC_MS?: number;

  /** socket.io heartbeat: a ping every interval; no pong within the timeout and the connection is closed */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(300_000)
  TETHER_SOCKET_PING_INTERVAL_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(300_000)
  TETHER_SOCKET_PING_TIMEOUT_MS?: number;

  /** admin REST requests per client address per minute (429 beyond) */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  TETHER_ADMIN_RATE_LIMIT_PER_MINUTE?: number;

  /** telephony webhook requests per client address per minute (429 beyond); a platform sends from few addresses */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  TETHER_WEBHOOK_RATE_LIMIT_PER_MINUTE?: number;

  /** client events per agent socket per second (acked with an error beyond) */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  TETHER_SOCKET_EVENTS_PER_SECOND?: number;
}

/**
 * EnvSchema plus one optional port variable per name (`SALES_PORT`, `BILLING_PORT`, ...), validated like the fixed
 * ones, for the line apps a process runs: their names come from the `lines` table, not from this file.
 */
export function envSchemaWithPorts(variables: readonly string[]): new () => EnvSchema {
  if (variables.length === 0) return EnvSchema;
  class EnvSchemaWithPorts extends EnvSchema {}
  for (const variable of variables) {
    for (const decorate of [IsOptional(), Transform(toInt), IsInt(), Min(0), Max(65535)])
      decorate(EnvSchemaWithPorts.prototype, variable);
  }
  return EnvSchemaWithPorts;
}
