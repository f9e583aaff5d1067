import { InvalidConfigError, loadConfig } from './load-config';
import { portFor } from './tether-config';

describe('loadConfig', () => {
  it('applies the contract default ports with an empty environment', () => {
    const config = loadConfig({});
    expect(config.ports).toEqual({ admin: 3000, gateway: 3005 });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
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
});
