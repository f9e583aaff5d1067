import { createClient } from 'redis';
import { testRedisUrl, waitFor } from '@tether/testing';
import { RedisStreamEventBus } from './redis-stream-event-bus';
import type { TetherEvent } from './tether-events';

const queueEvent = (n: number): TetherEvent => ({
  type: 'queue.changed',
  lines: [n % 2 ? 'sales' : 'service'],
});

describe('RedisStreamEventBus (real Redis)', () => {
  const buses: RedisStreamEventBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });

  async function bus(): Promise<RedisStreamEventBus> {
    const created = new RedisStreamEventBus(testRedisUrl());
    await created.connect();
    buses.push(created);
    return created;
  }

  it('delivers every event, in order, to every instance', async () => {
    const [a, b] = [await bus(), await bus()];
    const seenA: TetherEvent[] = [];
    const seenB: TetherEvent[] = [];
    a.subscribe((e) => seenA.push(e));
    b.subscribe((e) => seenB.push(e));
    for (let i = 0; i < 200; i++) await (i % 2 ? a : b).publish(queueEvent(i));
    await waitFor(() => seenA.length === 200 && seenB.length === 200, { what: '200 events on both buses' });
    expect(seenA).toEqual(seenB);
    expect(seenA[3]).toEqual(queueEvent(3));
  });

  it('loses nothing when its connection to Redis is killed mid-stream', async () => {
    const [publisher, subscriber] = [await bus(), await bus()];
    const seen: TetherEvent[] = [];
    subscriber.subscribe((e) => seen.push(e));
    const admin = createClient({ url: testRedisUrl() });
    await admin.connect();
    for (let i = 0; i < 50; i++) await publisher.publish(queueEvent(i));
    // kill every normal client connection except the admin's own: the subscriber's blocking reader drops
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    for (let i = 50; i < 100; i++) {
      await waitFor(
        async () =>
          publisher
            .publish(queueEvent(i))
            .then(() => true)
            .catch(() => false),
        { what: `publish ${i}` },
      );
    }
    await waitFor(() => seen.length >= 100, {
      what: '100 events after the connection kill',
      timeoutMs: 15_000,
    });
    expect(seen).toHaveLength(100);
    expect(seen[99]).toEqual(queueEvent(99));
    await admin.quit();
  });
});
