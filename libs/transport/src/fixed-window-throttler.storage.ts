import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

interface Window {
  hits: number;
  /** epoch ms when this window ends */
  endsAt: number;
  /** epoch ms until which the key is refused (0 = not blocked) */
  blockedUntil: number;
}

/**
 * @nestjs/throttler's storage with a fixed window per key: O(1) per request. The library's default keeps one
 * expiry timestamp per hit and filters the whole list on every request (and spreads it into Math.min), which at a
 * telephony platform's few source addresses × hundreds of webhooks/s × a 60 s window is tens of thousands of entries
 * per request (bench: 3% of the line app's CPU at 300 webhooks/s). A fixed window lets a client burst up to twice the
 * limit across a window boundary; for a first line against floods and brute force that is the usual trade.
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const now = Date.now();
    const id = `${throttlerName}\u0000${key}`;
    let window = this.windows.get(id);
    if (!window || (window.endsAt <= now && window.blockedUntil <= now)) {
      window = { hits: 0, endsAt: now + ttl, blockedUntil: 0 };
      this.windows.set(id, window);
    } else if (window.endsAt <= now) {
      window.hits = 0;
      window.endsAt = now + ttl;
    }
    const blocked = window.blockedUntil > now;
    if (!blocked) {
      window.hits++;
      if (window.hits > limit)
        window.blockedUntil = now + (blockDuration > 0 ? blockDuration : window.endsAt - now);
    }
    const isBlocked = window.blockedUntil > now;
    return Promise.resolve({
      totalHits: window.hits,
      timeToExpire: Math.max(0, Math.ceil((window.endsAt - now) / 1000)),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.max(0, Math.ceil((window.blockedUntil - now) / 1000)) : 0,
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, window] of this.windows)
      if (window.endsAt <= now && window.blockedUntil <= now) this.windows.delete(id);
  }
}
