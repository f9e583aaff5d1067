import { InvalidConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('applies the contract default ports with an empty environment', () => {
    const config = loadConfig({});
    expect(config.ports).toEqual({ admin: 3000, sales: 3001, presales: 3002, service: 3003, gateway: 3005 });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
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
});
