/** A refused request (an admin request, a socket handshake), as the audit log records it. */
export interface Refusal {
  /** the client's address (behind trusted proxies) */
  address: string;
  /** the admin token's actor (a 429 for a valid token), or `anonymous` */
  actor: string;
  status: number;
  /** `GET /v1/agents`: the route, never the values */
  action: string;
  requestId: string | null;
}

interface Window {
  openedAt: number;
  /** refusals after the first one, not written yet */
  more: number;
  last: Refusal;
}

export interface RefusalAggregatorOptions {
  windowMs: number;
  /** distinct (address, actor, status) tracked at once; past it, refusals share one overflow entry (address `*`) */
  maxKeys: number;
}

/**
 * Keeps a flood of refused requests from filling the disk through the audit log: per address, actor and status,
 * the first refusal of a window is written at once (a row with count 1), and the rest of the window becomes one
 * row when it closes (count = how many). So a flood costs at most two rows per address and status per minute, and a
 * flood from more addresses than `maxKeys` at most two more.
 */
export class RefusalAggregator {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly write: (refusal: Refusal, count: number) => void,
    private readonly options: RefusalAggregatorOptions = { windowMs: 60_000, maxKeys: 10_000 },
    private readonly now: () => number = Date.now,
  ) {}

  add(refusal: Refusal): void {
    const now = this.now();
    let key = `${refusal.status}\u0000${refusal.actor}\u0000${refusal.address}`;
    if (!this.windows.has(key) && this.windows.size >= this.options.maxKeys) {
      key = `${refusal.status}\u0000*`;
      refusal = { ...refusal, address: '*', actor: '*' };
    }
    const open = this.windows.get(key);
    if (open && now - open.openedAt < this.options.windowMs) {
      open.more++;
      open.last = refusal;
      return;
    }
    if (open) this.close(key, open);
    this.windows.set(key, { openedAt: now, more: 0, last: refusal });
    this.write(refusal, 1);
  }

  /** Writes and forgets the windows that have closed; call it every few seconds. */
  sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows)
      if (now - window.openedAt >= this.options.windowMs) this.close(key, window);
  }

  /** Writes every open window's count now (shutdown). */
  flush(): void {
    for (const [key, window] of this.windows) this.close(key, window);
  }

  private close(key: string, window: Window): void {
    this.windows.delete(key);
    if (window.more > 0) this.write({ ...window.last, requestId: null }, window.more);
  }
}
