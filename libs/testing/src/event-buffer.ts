interface Waiter<T> {
  matches: (item: T) => boolean;
  dropEarlier: boolean;
  resolve: (item: T) => void;
}

export interface TakeOptions<T> {
  /** default: any item */
  matching?: (item: T) => boolean;
  timeoutMs?: number;
  /**
   * Also discard the unmatched items received before the match. Right for snapshots (a newer one supersedes older
   * ones, and a stale one must not satisfy a later wait); wrong for offers, which are each worth keeping.
   */
  dropEarlier?: boolean;
}

/**
 * Events of one kind, kept from the moment the listener is attached until a test takes them. Tests await the next
 * event after doing something; buffering means an event that arrives before the `await` starts is not lost, and
 * an unexpected extra event is still there for `expectNone` to find.
 */
export class EventBuffer<T> {
  private readonly pending: T[] = [];
  private readonly waiters = new Set<Waiter<T>>();
  /** every item ever received, taken or not (for counting, and for timeout messages) */
  readonly history: T[] = [];

  constructor(private readonly what: string) {}

  push(item: T): void {
    this.history.push(item);
    for (const waiter of this.waiters) {
      if (!waiter.matches(item)) continue;
      this.waiters.delete(waiter);
      if (waiter.dropEarlier) this.pending.length = 0;
      waiter.resolve(item);
      return;
    }
    this.pending.push(item);
  }

  /** How many items are buffered and not yet taken. */
  get size(): number {
    return this.pending.length;
  }

  /** Removes and returns the oldest buffered item that matches, waiting for one if none is buffered yet. */
  take(options: TakeOptions<T> = {}): Promise<T> {
    const { matching = () => true, timeoutMs = 5_000, dropEarlier = false } = options;
    const index = this.pending.findIndex(matching);
    if (index >= 0) {
      const [item] = this.pending.splice(dropEarlier ? 0 : index, dropEarlier ? index + 1 : 1).slice(-1);
      return Promise.resolve(item);
    }
    if (dropEarlier) this.pending.length = 0;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${this.what}; received so far: ${this.describe()}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter<T> = {
        matches: matching,
        dropEarlier,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Resolves after `ms` if no matching item was buffered or arrived meanwhile; rejects as soon as one does. The
   * only fixed wait in the harness: proving that something does not happen takes time by nature.
   */
  expectNone(ms: number, matching: (item: T) => boolean = () => true): Promise<void> {
    const early = this.pending.find(matching);
    if (early !== undefined)
      return Promise.reject(new Error(`Expected no ${this.what}, but had ${JSON.stringify(early)}`));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve();
      }, ms);
      // A waiter that does not consume: the item goes back to the buffer for the test to inspect.
      const waiter: Waiter<T> = {
        matches: matching,
        dropEarlier: false,
        resolve: (item) => {
          clearTimeout(timer);
          this.pending.push(item);
          reject(new Error(`Expected no ${this.what} within ${ms} ms, but got ${JSON.stringify(item)}`));
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Forgets buffered items (history is kept). */
  clear(): void {
    this.pending.length = 0;
  }

  private describe(): string {
    if (this.history.length === 0) return 'nothing';
    const recent = this.history.slice(-3).map((item) => JSON.stringify(item).slice(0, 300));
    return `${this.history.length} item(s), latest: ${recent.join(' | ')}`;
  }
}
