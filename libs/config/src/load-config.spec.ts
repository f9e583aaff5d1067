import { InvalidConfigError, loadConfig } from './load-config';
import { PRODUCTION_SECRETS } from './secret-checks';
import { portFor } from './tether-config';

describe('loadConfig', () => {
  it('applies the contract default ports with an empty environment', () => {
    const config = loadConfig({});
    expect(config.ports).toEqual({ admin: 3000, gateway: 3005 });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it('logs pretty on a terminal and JSON otherwise, unless LOG_FORMAT says which; TETHER_WARM_UP is on by default', () => {
    expect(loadConfig({}, { stdoutIsTty: true }).logFormat).toBe('pretty');
    expect(loadConfig({}, { stdoutIsTty: false }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }, { stdoutIsTty: true }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }, { stdoutIsTty: false }).logFormat).toBe('pretty');
    expect(loadConfig({}).warmUp).toBe(true);
    expect(loadConfig({ TETHER_WARM_UP: 'false' }).warmUp).toBe(false);
    expect(() => loadConfig({ TETHER_WARM_UP: 'no' })).toThrow(InvalidConfigError);
  });

  it('prepares the hot statements by default; TETHER_DB_PREPARED_STATEMENTS=false turns it off', () => {
    expect(loadConfig({}).databasePreparedStatements).toBe(true);
    expect(loadConfig({ TETHER_DB_PREPARED_STATEMENTS: 'true' }).databasePreparedStatements).toBe(true);
    expect(loadConfig({ TETHER_DB_PREPARED_STATEMENTS: 'false' }).databasePreparedStatements).toBe(false);
    expect(() => loadConfig({ TETHER_DB_PREPARED_STATEMENTS: 'off' })).toThrow(InvalidConfigError);
  });

  it('pipelines a transaction’s BEGIN by default; TETHER_DB_PIPELINE=false turns it off', () => {
    expect(loadConfig({}).databasePipeline).toBe(true);
    expect(loadConfig({ TETHER_DB_PIPELINE: 'false' }).databasePipeline).toBe(false);
    expect(() => loadConfig({ TETHER_DB_PIPELINE: 'no' })).toThrow(InvalidConfigError);
  });

  describe('line apps’ ports, by the line’s name', () => {
    it('reads <LINE>_PORT of the apps asked for, any line', () => {
      const config = loadConfig(
        { SALES_PORT: '4001', BILLING_PORT: '4004', OTHER_PORT: '4999' },
        { apps: ['admin', 'sales', 'billing', 'service'] },
      );
      expect(config.ports).toEqual({ admin: 3000, gateway: 3005, sales: 4001, billing: 4004 });
      expect(portFor(config, 'billing')).toBe(4004);
      expect(portFor(config, 'sales', 3001)).toBe(4001);
    });

    it('without a variable the line’s default (its lines.default_port) applies; PORT wins over both', () => {
      const config = loadConfig({}, { apps: ['sales'] });
      expect(portFor(config, 'sales', 3001)).toBe(3001);
      expect(portFor(config, 'admin')).toBe(3000);
      const alone = loadConfig({ PORT: '4100', SALES_PORT: '4001' }, { apps: ['sales'] });
      expect(portFor(alone, 'sales', 3001)).toBe(4100);
    });

    it('no variable and no default: an InvalidConfigError naming the variable to set', () => {
      const config = loadConfig({}, { apps: ['billing'] });
      for (const fallback of [undefined, null]) {
        expect(() => portFor(config, 'billing', fallback)).toThrow(InvalidConfigError);
        expect(() => portFor(config, 'billing', fallback)).toThrow(/BILLING_PORT: required/);
      }
    });

    it('validates them as ports, listed with every other bad variable', () => {
      expect(() => loadConfig({ BILLING_PORT: '70000' }, { apps: ['billing'] })).toThrow(/BILLING_PORT/);
      let caught: unknown;
      try {
        loadConfig({ BILLING_PORT: 'abc', SALES_PORT: '-1', PORT: 'x' }, { apps: ['billing', 'sales'] });
      } catch (error) {
        caught = error;
      }
      expect((caught as InvalidConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'BILLING_PORT',
        'PORT',
        'SALES_PORT',
      ]);
    });

    it('ignores the port variables of apps it was not asked for', () => {
      expect(loadConfig({ BILLING_PORT: 'abc' }).ports).toEqual({ admin: 3000, gateway: 3005 });
    });
  });

  it('parses numeric and URL variables', () => {
    const config = loadConfig({
      PORT: '4000',
      DATABASE_URL: 'postgres://u:p@localhost:5432/db',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(config.portOverride).toBe(4000);
    expect(config.databaseUrl).toBe('postgres://u:p@localhost:5432/db');
  });

  it('defaults the agents’ heartbeat to notice a vanished socket within 20 s, and resyncs every 5 s', () => {
    const config = loadConfig({});
    expect(config.socketPingIntervalMs + config.socketPingTimeoutMs).toBe(20_000);
    expect(config.agentResyncMs).toBe(5_000);
    expect(loadConfig({ TETHER_SOCKET_PING_INTERVAL_MS: '4000' }).socketPingIntervalMs).toBe(4_000);
    expect(() => loadConfig({ TETHER_SOCKET_PING_TIMEOUT_MS: '10' })).toThrow(
      /TETHER_SOCKET_PING_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ TETHER_AGENT_RESYNC_MS: '0' })).toThrow(/TETHER_AGENT_RESYNC_MS/);
  });

  it('retention is off unless TETHER_RETENTION_DAYS is a whole number of days', () => {
    expect(loadConfig({}).retentionDays).toBeUndefined();
    expect(loadConfig({ TETHER_RETENTION_DAYS: '90' }).retentionDays).toBe(90);
    for (const bad of ['0', '-3', '1.5', 'ninety'])
      expect(() => loadConfig({ TETHER_RETENTION_DAYS: bad })).toThrow(/TETHER_RETENTION_DAYS/);
  });

  it('accepts a Redis URL with credentials or TLS, and never repeats the password when refusing one', () => {
    for (const url of [
      'redis://:s3cret-pass@redis:6379',
      'redis://default:s3cret-pass@127.0.0.1:6379/0',
      'rediss://default:s3cret-pass@cache.example.com:6380',
    ])
      expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
    let caught: unknown;
    try {
      loadConfig({
        REDIS_URL: 'http://user:s3cret-pass@redis:6379',
        DATABASE_URL: 'mysql://tether:db-s3cret@db:5432/tether',
      });
    } catch (error) {
      caught = error;
    }
    const message = (caught as Error).message;
    expect(message).toContain('REDIS_URL');
    expect(message).toContain('http://user:***@redis:6379');
    expect(message).toContain('mysql://tether:***@db:5432/tether');
    expect(message).not.toContain('s3cret');
  });

  it('names every bad variable at once', () => {
    let caught: unknown;
    try {
      loadConfig({
        PORT: 'abc',
        DATABASE_URL: 'mysql://nope',
        REDIS_URL: 'localhost:6379',
        TETHER_ADMIN_TOKEN: 'short',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidConfigError);
    const message = (caught as Error).message;
    for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'TETHER_ADMIN_TOKEN'])
      expect(message).toContain(name);
    expect(message).not.toContain('short');
  });
  describe('abuse limits', () => {
    it('defaults: no trusted proxy; 100 admin requests/s per token, 2,000 webhooks/s and 200 handshakes/s per address', () => {
      const config = loadConfig({});
      expect(config.trustedProxies).toEqual([]);
      expect(config.adminRateLimitPerSecond).toBeGreaterThanOrEqual(100);
      expect(config.webhookRateLimitPerSecond).toBeGreaterThanOrEqual(1_000);
      expect(config.socketHandshakesPerSecond).toBeGreaterThanOrEqual(200);
      expect(config.authFailuresPerMinute).toBe(60);
      expect(config.agentMaxSockets).toBe(5);
    });

    it('TETHER_TRUSTED_PROXIES takes addresses, CIDRs and proxy-addr’s names, as CIDRs', () => {
      expect(
        loadConfig({ TETHER_TRUSTED_PROXIES: ' 127.0.0.1, 10.1.0.0/16 ,::1,loopback' }).trustedProxies,
      ).toEqual(['127.0.0.1/32', '10.1.0.0/16', '::1/128', '127.0.0.0/8']);
      expect(loadConfig({ TETHER_TRUSTED_PROXIES: 'uniquelocal' }).trustedProxies).toContain('172.16.0.0/12');
    });

    it.each(['nginx', '10.0.0.0/33', '10.0.0.1/8/1', '300.1.1.1', '10.0.0.0/x'])(
      'TETHER_TRUSTED_PROXIES=%s is refused, naming the variable and the entry',
      (value) => {
        expect(() => loadConfig({ TETHER_TRUSTED_PROXIES: `127.0.0.1,${value}` })).toThrow(
          new RegExp(`TETHER_TRUSTED_PROXIES.*${value.replace(/[./]/g, '\\$&')}`),
        );
      },
    );

    it('the replaced per-minute variables stop the start, naming their replacement', () => {
      expect(() => loadConfig({ TETHER_ADMIN_RATE_LIMIT_PER_MINUTE: '1200' })).toThrow(
        /TETHER_ADMIN_RATE_LIMIT_PER_MINUTE: replaced by TETHER_ADMIN_RATE_LIMIT_PER_SECOND/,
      );
      expect(() => loadConfig({ TETHER_WEBHOOK_RATE_LIMIT_PER_MINUTE: '5' })).toThrow(
        /TETHER_WEBHOOK_RATE_LIMIT_PER_SECOND/,
      );
    });
  });

  describe('secrets in production', () => {
    /** strong, distinct values: what `openssl rand -hex 32` gives */
    const strong = {
      TETHER_ADMIN_TOKEN: '9f1c2e7a4b8d3f60a5c1e9b7d2f48a3c6e0b5d9f1a7c3e8b',
      TETHER_WEBHOOK_SECRET: 'c4e8a1f7b3d9e2c6a0f5b8d1e4c7a9f3b6d0e2a5c8f1b4d7',
      TETHER_JWT_SECRET: '5b9e2d7f0a4c8e1b6d3f9a2c5e8b0d4f7a1c6e9b3d8f2a5c',
    };
    const production = (env: Record<string, string | undefined>) => ({
      NODE_ENV: 'production',
      ...strong,
      ...env,
    });
    const problemsOf = (env: Record<string, string | undefined>): string[] => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof InvalidConfigError) return error.problems;
        throw error;
      }
      return [];
    };

    it('starts with every secret set to a strong value (the control)', () => {
      const config = loadConfig(production({}));
      expect(config.env).toBe('production');
      expect(config.webhookSecret).toBe(strong.TETHER_WEBHOOK_SECRET);
      expect(problemsOf(production({}))).toEqual([]);
    });

    it.each(PRODUCTION_SECRETS)('refuses a missing %s, naming it (and only it)', (name) => {
      const problems = problemsOf(production({ [name]: undefined }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${name}: required when NODE_ENV=production`));
      // an empty value is no value
      expect(problemsOf(production({ [name]: '' }))).toEqual(problems);
    });

    it('names all three at once when none is set, and generated secrets stay fine outside production', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([...PRODUCTION_SECRETS].sort());
      expect(problemsOf({})).toEqual([]);
      expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
      expect(problemsOf({ NODE_ENV: 'test' })).toEqual([]);
    });

    const weak: [string, string, RegExp][] = [
      ['docker/.env.example’s value', 'change-me-jwt-secret-00000000000000000000', /placeholder/],
      ['changeme', 'changeme-changeme-changeme-changeme-1', /placeholder/],
      ['an example', 'example-secret-value-for-the-docs-only-x', /placeholder/],
      ['angle brackets', '<your webhook secret, at least 32 chars>', /placeholder/],
      ['a counting sequence', 'tether-e2e-secret-0123456789abcdef9876', /placeholder/],
      ['a repeated character', 'x'.repeat(40), /distinct/],
      ['a short pattern repeated', 'ab12'.repeat(10), /distinct/],
      ['too short for production', 'f3a9c1e7b5d2'.repeat(2), /at least 32/],
    ];
    it.each(PRODUCTION_SECRETS)(
      'refuses weak values of %s, naming it and never echoing the value',
      (name) => {
        for (const [, value, why] of weak) {
          const problems = problemsOf(production({ [name]: value }));
          expect(problems).toHaveLength(1);
          expect(problems[0]).toMatch(new RegExp(`^${name}: `));
          expect(problems[0]).toMatch(why);
          expect(problems.join('\n')).not.toContain(value);
        }
      },
    );

    it('accepts the same weak values outside production (development is not held to it)', () => {
      for (const [, value] of weak.filter(([, v]) => v.length >= 32))
        expect(problemsOf({ TETHER_JWT_SECRET: value, TETHER_WEBHOOK_SECRET: value })).toEqual([]);
    });

    it('refuses one value serving two purposes', () => {
      const problems = problemsOf(production({ TETHER_JWT_SECRET: strong.TETHER_WEBHOOK_SECRET }));
      expect(problems).toEqual([
        expect.stringMatching(/^TETHER_JWT_SECRET: must differ from TETHER_WEBHOOK_SECRET/),
      ]);
    });

    it('holds the previous secrets to the same rules, and each needs its current one', () => {
      expect(
        problemsOf(production({ TETHER_WEBHOOK_SECRET_PREVIOUS: 'change-me-webhook-secret-000000000000' })),
      ).toEqual([expect.stringMatching(/^TETHER_WEBHOOK_SECRET_PREVIOUS: looks like a placeholder/)]);
      const previous = {
        TETHER_WEBHOOK_SECRET_PREVIOUS: 'e7b2d9f4a1c8e5b3d0f6a9c2e4b7d1f8a3c5e0b9',
        TETHER_JWT_SECRET_PREVIOUS: 'a8d3f1c6e9b4d7a2f5c0e8b1d6f3a9c4e7b2d5f0',
      };
      const config = loadConfig(production(previous));
      expect(config.webhookSecretPrevious).toBe(previous.TETHER_WEBHOOK_SECRET_PREVIOUS);
      expect(config.jwtSecretPrevious).toBe(previous.TETHER_JWT_SECRET_PREVIOUS);
      expect(problemsOf({ TETHER_WEBHOOK_SECRET_PREVIOUS: 'w'.repeat(20) })).toEqual([
        expect.stringMatching(
          /^TETHER_WEBHOOK_SECRET_PREVIOUS: set only together with TETHER_WEBHOOK_SECRET/,
        ),
      ]);
      expect(problemsOf({ TETHER_JWT_SECRET_PREVIOUS: 'j'.repeat(40) })).toEqual([
        expect.stringMatching(/^TETHER_JWT_SECRET_PREVIOUS: set only together with TETHER_JWT_SECRET/),
      ]);
    });

    it('a variable the schema already refused is named once', () => {
      const problems = problemsOf(production({ TETHER_ADMIN_TOKEN: 'short' }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^TETHER_ADMIN_TOKEN: TETHER_ADMIN_TOKEN must be at least 16/);
    });
  });
});
