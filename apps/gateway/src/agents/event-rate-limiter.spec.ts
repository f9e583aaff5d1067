import { EventRateLimiter } from './event-rate-limiter';

describe('EventRateLimiter', () => {
  it('allows a burst of twice the rate, then refuses until time refills the bucket', () => {
    let now = 0;
    const limiter = new EventRateLimiter(10, () => now);
    const burst = Array.from({ length: 25 }, () => limiter.tryTake());
    expect(burst.filter(Boolean)).toHaveLength(20);
    now += 100; // 0.1 s at 10/s: one more token
    expect(limiter.tryTake()).toBe(true);
    expect(limiter.tryTake()).toBe(false);
  });
});
