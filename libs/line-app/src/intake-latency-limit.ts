/**
 * How long the intake must have gone without one webhook answered within the target before it counts as a standing
 * queue (CoDel's interval): long enough to hold several webhooks at a modest rate, so one slow webhook or a burst
 * whose first webhooks are served fast is never read as overload; short enough that the queue built before the
 * limit acts stays small (the worst wait before it acts is about 2 x target + this).
 */
export const STANDING_QUEUE_INTERVAL_MS = 100;

/**
 * The decision behind the intake's latency bound (pure: times are passed in, in ms of one monotonic clock).
 *
 * An in-flight count bounds how many webhooks wait, not how long: when the throughput itself falls (the CPU or the
 * database pool shared with routing and offers), a count the machine served in time yesterday makes every webhook
 * slow today. So admission also watches time, as CoDel does for packets:
 *
 * - a **standing queue**: no webhook finished within `targetMs` of its arrival for a whole interval (the minimum wait
 *   over the interval is past the target), and one still in flight has waited past the target. A burst being served
 *   fast, or one slow webhook among fast ones, is not one: some webhook finished in time.
 * - on a standing queue, admission first **holds** the in-flight count where it stands: one webhook admitted per one
 *   that finishes. A platform that waits for its answers before sending more (a closed loop, test/abuse-limits'
 *   1,000 webhooks over 100 connections) is then never refused, however slow: it does not add to the queue.
 * - when more arrive than finish (one arrives at the held count while the queue stands: the rate is past what the
 *   line serves), the limit falls to what the line serves within the target: completions per second x target
 *   (Little's law), at least 1. What is admitted then waits about the target; the rest is refused at once.
 * - while limited, one arriving at the limit is refused; the limit grows by one per interval in which every webhook
 *   finished in time, and lifts once webhooks have finished in time and nobody was refused for a whole interval
 *   (the rate dropped): admission resumes by itself.
 */
export class IntakeLatencyLimit {
  /** the in-flight count admitted while limited; Infinity when time does not limit admission */
  private limit = Infinity;
  /** last time the intake was in time: a webhook finished within the target, or nothing was in flight */
  private lastInTimeAt = -Infinity;
  /** last time a webhook finished past the target */
  private lastLateAt = -Infinity;
  private lastRefusedAt = -Infinity;
  private lastGrownAt = -Infinity;
  private windowStart: number | undefined;
  private windowCompletions = 0;
  /** completions per second over the last full interval */
  private completionRate = 0;

  constructor(
    /** the wait a webhook should not exceed; 0 = no time limit */
    readonly targetMs: number,
    readonly intervalMs: number = STANDING_QUEUE_INTERVAL_MS,
  ) {}

  /** the in-flight count admission holds to now (Infinity: not limiting) */
  get currentLimit(): number {
    return this.limit;
  }

  /**
   * May one more webhook be admitted at `now`, with `inFlight` webhooks in flight, the oldest of them arrived at
   * `oldestArrivedAt`?
   */
  admits(now: number, inFlight: number, oldestArrivedAt: number | undefined): boolean {
    if (this.targetMs <= 0) return true;
    this.roll(now);
    if (inFlight === 0 || oldestArrivedAt === undefined) this.lastInTimeAt = now;
    const oldestLate = oldestArrivedAt !== undefined && now - oldestArrivedAt > this.targetMs;
    // every webhook of the last interval finished in time, and none in flight is late yet
    const inTime = !oldestLate && now - this.lastLateAt >= this.intervalMs;
    if (this.limit !== Infinity && inTime && now - this.lastRefusedAt >= this.intervalMs)
      this.limit = Infinity;
    const standing = oldestLate && now - this.lastInTimeAt > this.intervalMs;
    if (this.limit === Infinity) {
      if (!standing) return true;
      // the queue stands: hold the count where it is (the one arriving now takes the place of one that finished)
      this.limit = inFlight + 1;
    }
    if (inFlight < this.limit) return true;
    if (inTime && now - this.lastGrownAt >= this.intervalMs) {
      // in time at the limit: the line may serve more than when the limit was set
      this.limit++;
      this.lastGrownAt = now;
      return true;
    }
    // more arrive than finish: while the queue stands, keep what the line serves within the target
    if (standing)
      this.limit = Math.max(1, Math.min(this.limit, Math.ceil((this.completionRate * this.targetMs) / 1000)));
    this.lastRefusedAt = now;
    return false;
  }

  /** A webhook admitted at `arrivedAt` finished (answered or failed) at `now`. */
  finished(now: number, arrivedAt: number): void {
    if (this.targetMs <= 0) return;
    this.roll(now);
    this.windowCompletions++;
    if (now - arrivedAt <= this.targetMs) this.lastInTimeAt = now;
    else this.lastLateAt = now;
  }

  private roll(now: number): void {
    if (this.windowStart === undefined) {
      this.windowStart = now;
      return;
    }
    const elapsed = now - this.windowStart;
    if (elapsed < this.intervalMs) return;
    this.completionRate = (this.windowCompletions * 1000) / elapsed;
    this.windowStart = now;
    this.windowCompletions = 0;
  }
}
