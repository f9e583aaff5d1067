import type { Line } from '@tether/routing';

/**
 * The queue snapshots connecting sockets ask for, read once per line set at a time: the sockets asking in the same
 * tick share a read, and a socket asking while its line set's read runs gets the next one, which starts when that
 * one ends and serves everyone who asked meanwhile. So a
 * connect storm of N agents on the same lines costs a handful of reads instead of N, and every socket still gets a
 * snapshot read after it asked (after it joined its line-set room: no queue change falls between the two).
 */
export class SnapshotFlights<T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly next = new Map<string, Promise<T>>();
  /** reads started since creation: what the connect-storm test counts */
  reads = 0;

  constructor(private readonly read: (lines: readonly Line[]) => Promise<T>) {}

  get(lines: readonly Line[]): Promise<T> {
    const key = [...lines].sort().join('\u0000');
    const queued = this.next.get(key);
    if (queued) return queued;
    const settle = () => undefined;
    // after this tick (the sockets asking together share it) and after the read in flight for these lines, if any
    const following = Promise.all([
      this.running.get(key)?.then(settle, settle),
      new Promise((resolve) => setImmediate(resolve)),
    ]).then(() => {
      this.next.delete(key);
      return this.start(key, lines);
    });
    this.next.set(key, following);
    return following;
  }

  private start(key: string, lines: readonly Line[]): Promise<T> {
    this.reads++;
    const flight = this.read(lines);
    this.running.set(key, flight);
    const land = () => {
      if (this.running.get(key) === flight) this.running.delete(key);
    };
    flight.then(land, land);
    return flight;
  }
}
