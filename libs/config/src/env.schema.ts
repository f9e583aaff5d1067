import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { parseTrustedProxies } from './trusted-proxies';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

@ValidatorConstraint({ name: 'isTrustedProxyList' })
class IsTrustedProxyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && parseTrustedProxies(value).problems.length === 0;
  }

  defaultMessage(args: ValidationArguments): string {
    const problems = typeof args.value === 'string' ? parseTrustedProxies(args.value).problems : [];
    return `${args.property} takes comma-separated addresses, CIDRs (10.0.0.0/8) or loopback, linklocal, uniquelocal; not ${problems.join(', ')}`;
  }
}

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

  /**
   * `false`: every statement goes unnamed (parsed and planned on each execution), for a pooler in transaction mode
   * that does not track prepared statements
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  TETHER_DB_PREPARED_STATEMENTS?: string;

  /**
   * `false`: node-postgres's pipeline mode off, so a transaction's BEGIN is its own round trip again (a proxy
   * between Tether and PostgreSQL that cannot take pipelined messages)
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  TETHER_DB_PIPELINE?: string;

  /**
   * The schema owner's connection, used only to migrate (migrations, SQL sources, the runtime role's grants); the
   * pool then uses DATABASE_URL, the runtime role. Unset: DATABASE_URL migrates too (one role, development).
   */
  @IsOptional()
  @IsUrl(
    { protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true },
    { message: 'DATABASE_MIGRATION_URL must be a postgres:// or postgresql:// URL' },
  )
  DATABASE_MIGRATION_URL?: string;

  /** the role the migrating process grants the apps' privileges to; default: DATABASE_URL's user */
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, {
    message: 'TETHER_DB_RUNTIME_ROLE must be a lower-case PostgreSQL role name (letters, digits, _)',
  })
  TETHER_DB_RUNTIME_ROLE?: string;

  /** how long a process that does not migrate (production line apps, gateway) waits for the schema */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  TETHER_SCHEMA_WAIT_SECONDS?: number;

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

  /** the webhook secret being rotated away from: inbound signatures made with it are accepted while it is set */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'TETHER_WEBHOOK_SECRET_PREVIOUS must be at least 16 characters' })
  TETHER_WEBHOOK_SECRET_PREVIOUS?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'TETHER_JWT_SECRET must be at least 32 characters' })
  TETHER_JWT_SECRET?: string;

  /** the agent-token signing secret being rotated away from: tokens it signed are accepted while it is set */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'TETHER_JWT_SECRET_PREVIOUS must be at least 32 characters' })
  TETHER_JWT_SECRET_PREVIOUS?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'TETHER_TELEPHONY_CALLBACK_URL must be an http(s) URL' },
  )
  TETHER_TELEPHONY_CALLBACK_URL?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'TETHER_NOTIFY_URL must be an http(s) URL' },
  )
  TETHER_NOTIFY_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  TETHER_NOTIFY_RATE_PER_SECOND?: number;

  /** where agents' replies on messaging channels are POSTed (signed like the telephony callbacks) */
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'TETHER_CHANNEL_URL must be an http(s) URL' },
  )
  TETHER_CHANNEL_URL?: string;

  /** a conversation with no message for this long ends its contact */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(30 * 86_400)
  TETHER_CONVERSATION_IDLE_SECONDS?: number;

  /** Twilio Programmable Voice (the adapter at /v1/telephony/twilio/...): the account and its auth token */
  @IsOptional()
  @Matches(/^AC[0-9a-fA-F]{32}$/, { message: 'TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits' })
  TWILIO_ACCOUNT_SID?: string;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'TWILIO_AUTH_TOKEN must be at least 16 characters' })
  TWILIO_AUTH_TOKEN?: string;

  /** Twilio's REST API base (tests point it at a local stand-in) */
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'TWILIO_API_BASE_URL must be an http(s) URL' },
  )
  TWILIO_API_BASE_URL?: string;

  /** the caller id Tether's outbound calls through Twilio show (a number of the account) */
  @IsOptional()
  @Matches(/^\+[1-9]\d{6,14}$/, { message: 'TWILIO_CALLER_ID must be an E.164 number' })
  TWILIO_CALLER_ID?: string;

  /**
   * The public base URL the telephony platform calls Tether at (a proxy usually sits in front): what Twilio signs;
   * unset: the request's own scheme, host and path
   */
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'TETHER_PUBLIC_URL must be an http(s) URL' },
  )
  TETHER_PUBLIC_URL?: string;

  /** where the web console (admin's /console) reaches the gateway's socket.io; unset: the page's host, GATEWAY_PORT */
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'TETHER_CONSOLE_GATEWAY_URL must be an http(s) URL' },
  )
  TETHER_CONSOLE_GATEWAY_URL?: string;

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

  /** `false`: the apps reach the embedded PostgreSQL over loopback TCP instead of its unix socket */
  @IsOptional()
  @IsIn(['true', 'false'])
  TETHER_EMBEDDED_PG_SOCKET?: string;

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
  @Min(1)
  @Max(3600)
  TETHER_TRANSFER_TIMEOUT_SECONDS?: number;

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

  /** `false` skips the start-up warm-up (the pool opened, hot statements run, apps sent their warm-up requests) */
  @IsOptional()
  @IsIn(['true', 'false'])
  TETHER_WARM_UP?: string;

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

  /** Prometheus `/metrics` on this port (one per process) instead of on every app's own port */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  TETHER_METRICS_PORT?: number;

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

  /**
   * Proxies whose X-Forwarded-For is believed (addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal`;
   * comma-separated). Unset: none, and every limit keyed on an address uses the TCP peer's.
   */
  @IsOptional()
  @IsString()
  @Validate(IsTrustedProxyList)
  TETHER_TRUSTED_PROXIES?: string;

  /** authenticated admin REST requests per admin token per second (429 beyond) */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  TETHER_ADMIN_RATE_LIMIT_PER_SECOND?: number;

  /**
   * refused attempts (admin token, supervisors' and agents' socket handshakes) per client address per minute;
   * beyond, further refusals answer 429 (a valid credential is never refused for others' failures)
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  TETHER_AUTH_FAILURES_PER_MINUTE?: number;

  /** signed telephony webhooks per client address per second (429 beyond); a platform sends from few addresses */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  TETHER_WEBHOOK_RATE_LIMIT_PER_SECOND?: number;

  /** accepted socket.io handshakes (/agents and /supervisors) per client address per second */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  TETHER_SOCKET_HANDSHAKES_PER_SECOND?: number;

  /** open /agents sockets per agent per gateway instance (connect_error beyond) */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000)
  TETHER_AGENT_MAX_SOCKETS?: number;

  /** client events per agent socket per second (acked with an error beyond) */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  TETHER_SOCKET_EVENTS_PER_SECOND?: number;

  /** call webhooks a line app serves at once; beyond, 503 + Retry-After at once (0 = no limit) */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100_000)
  TETHER_INTAKE_MAX_IN_FLIGHT?: number;

  /** the Retry-After (seconds) of a webhook refused by TETHER_INTAKE_MAX_IN_FLIGHT */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  TETHER_INTAKE_RETRY_AFTER_SECONDS?: number;

  /**
   * the wait (ms) a call webhook should not exceed: past it, with no webhook answered in time for 100 ms and more
   * arriving than the line serves in that time, a line app answers 503 + Retry-After at once (0 = off)
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  TETHER_INTAKE_TARGET_MS?: number;

  /**
   * call webhooks that may wait before TETHER_INTAKE_TARGET_MS refuses any: a platform that waits for its answers
   * over up to this many connections is never refused by time, however slow the line
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  TETHER_INTAKE_HOLD_FLOOR?: number;
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
