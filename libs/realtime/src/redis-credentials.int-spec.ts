import { PrivateRedis, startPrivateRedis, waitFor } from '@tether/testing';
import { RedisStreamEventBus } from './redis-stream-event-bus';
import type { TetherEvent } from './tether-events';

const PASSWORD = 'bus-password-7f3a9c';
const event: TetherEvent = { type: 'queue.changed', lines: ['sales'] };

/**
 * The event bus reaches a Redis that requires a password (REDIS_URL with credentials, as docker/compose.yml sets it)
 * and one that speaks only TLS (`rediss://`), against real redis-servers of this spec's own; the refusals are the
 * positive controls that those servers really require what the URLs give.
 */
describe('RedisStreamEventBus: password and TLS (real redis-server)', () => {
  jest.setTimeout(20_000);
  const buses: RedisStreamEventBus[] = [];
  const servers: PrivateRedis[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  async function server(options: Parameters<typeof startPrivateRedis>[0]): Promise<PrivateRedis> {
    const started = await startPrivateRedis(options);
    servers.push(started);
    return started;
  }

  /** connect() of a bus that is closed again whatever happens; resolves to 'connected' or the error's message */
  async function tryConnect(url: string, options?: { ca?: string }): Promise<string> {
    const bus = new RedisStreamEventBus(url, options);
    buses.push(bus);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      bus.connect().then(
        () => 'connected',
        (error: Error) => error.message,
      ),
      // what is not a refusal (no server, not speaking Redis) is retried by node-redis: give up on it here
      new Promise<string>(
        (resolve) => (timer = setTimeout(() => resolve('no connection within 3 s'), 3_000)),
      ),
    ]);
    clearTimeout(timer);
    return outcome;
  }

  it('with the password in REDIS_URL, events flow; without it or with a wrong one, the start fails at once', async () => {
    const redis = await server({ password: PASSWORD });
    expect(redis.url).toContain(PASSWORD);

    const started = Date.now();
    expect(await tryConnect(redis.urlWithoutPassword)).toMatch(/REDIS_URL cannot be used: NOAUTH/);
    expect(await tryConnect(redis.url.replace(PASSWORD, 'wrong-password'))).toMatch(
      /REDIS_URL cannot be used: WRONGPASS/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);

    const publisher = new RedisStreamEventBus(redis.url);
    const subscriber = new RedisStreamEventBus(redis.url);
    buses.push(publisher, subscriber);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    expect(await publisher.ping()).toBe(true);
    const seen: TetherEvent[] = [];
    subscriber.subscribe((e) => seen.push(e));
    await publisher.publish(event);
    await waitFor(() => seen.length === 1, { what: 'the event through the password-protected Redis' });
    expect(seen).toEqual([event]);
  });

  it('rediss:// speaks TLS and checks the certificate: refused for an unknown CA, events flow with it trusted', async () => {
    const redis = await server({ tls: true, password: PASSWORD });
    expect(redis.url.startsWith('rediss://')).toBe(true);

    // plain text to a TLS port gets nowhere; TLS with a certificate nobody trusts is refused at once
    expect(await tryConnect(redis.url.replace('rediss://', 'redis://'))).not.toBe('connected');
    expect(await tryConnect(redis.url)).toMatch(/REDIS_URL cannot be used: .*(certificate|verify)/i);

    const publisher = new RedisStreamEventBus(redis.url, { ca: redis.ca });
    const subscriber = new RedisStreamEventBus(redis.url, { ca: redis.ca });
    buses.push(publisher, subscriber);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    const seen: TetherEvent[] = [];
    subscriber.subscribe((e) => seen.push(e));
    await publisher.publish(event);
    await waitFor(() => seen.length === 1, { what: 'the event through Redis over TLS' });
    expect(seen).toEqual([event]);
  });
});
