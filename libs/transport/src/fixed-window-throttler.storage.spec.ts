import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

describe('FixedWindowThrottlerStorage', () => {
  let storage: FixedWindowThrottlerStorage;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-11-25T10:00:00Z') });
    storage = new FixedWindowThrottlerStorage();
  });

  afterEach(() => {
    storage.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('lets `limit` requests through per window and refuses the next ones until the block ends', async () => {
    for (let i = 1; i <= 3; i++) {
      const record = await storage.increment('1.2.3.4', 60_000, 3, 60_000, 'default');
      expect(record).toMatchObject({ totalHits: i, isBlocked: false, timeToBlockExpire: 0 });
    }
    const refused = await storage.increment('1.2.3.4', 60_000, 3, 60_000, 'default');
    expect(refused.isBlocked).toBe(true);
    expect(refused.timeToBlockExpire).toBe(60);
    // another client is counted on its own
    expect((await storage.increment('5.6.7.8', 60_000, 3, 60_000, 'default')).isBlocked).toBe(false);

    jest.advanceTimersByTime(30_000);
    expect((await storage.increment('1.2.3.4', 60_000, 3, 60_000, 'default')).isBlocked).toBe(true);
    jest.advanceTimersByTime(30_001);
    expect(await storage.increment('1.2.3.4', 60_000, 3, 60_000, 'default')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('starts a new window when the old one ended, and keeps throttlers apart', async () => {
    await storage.increment('k', 1_000, 2, 1_000, 'default');
    await storage.increment('k', 1_000, 2, 1_000, 'default');
    expect((await storage.increment('k', 1_000, 2, 1_000, 'burst')).totalHits).toBe(1);
    jest.advanceTimersByTime(1_001);
    expect(await storage.increment('k', 1_000, 2, 1_000, 'default')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
      timeToExpire: 1,
    });
  });

  it('forgets keys whose window and block are over', async () => {
    await storage.increment('gone', 1_000, 5, 1_000, 'default');
    jest.advanceTimersByTime(61_000);
    expect((storage as unknown as { windows: Map<string, unknown> }).windows.size).toBe(0);
  });
});
