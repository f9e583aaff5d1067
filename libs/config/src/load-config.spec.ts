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
});
