/**
 * How long the intake must have gone without one webhook answered within the target before it counts as a standing
 * queue (CoDel's interval): long enough to hold several webhooks at a modest rate, so one slow webhook or a burst
 * whose first webhooks are served fast is never read as overload; short enough that the queue built before the
 * limit acts stays small (the worst wait before it acts is about 2 x target + this).
 */
export const STANDING_QUEUE_INTERVAL_MS = 100;

/**
 * The hold admits up to twice the most webhooks seen waiting over the last PEAK_WINDOWS intervals, and never fewer
 * than `holdFloor`: what waits at a server that a closed loop drives moves a lot (its requests also wait in the
 * kernel, and in the platform when the platform is the slower side; a platform's burst may start while the queue
 * already stands), and a closed loop over up to `holdFloor` connections (test/abuse-limits: 100) must never be read
 * as more demand. HTTP/1.1 carries one request at a time per connection, so such a platform never has more waiting.
 */
const HOLD_FACTOR = 2;
export const DEFAULT_HOLD_FLOOR = 128;
/** the intervals over which the peak of what waited and the completion rate are taken (1 s) */
const PEAK_WINDOWS = 10;

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
 * - on a standing queue, admission first **holds**: it admits while no more webhooks wait in the HTTP layer (arrived,
 *   not yet answered: `waiting`, counted from the arrival, so those not yet at this step count too) than twice the
 *   most seen over the last second, and at least `holdFloor`. A platform that waits for its answers before sending more (a closed
 *   loop, test/abuse-limits' 1,000 webhooks over 100 connections) never exceeds that, so it is never refused, however
 *   slow: it does not add to the queue. An open-loop rate past what the line serves does, within a few intervals.
 * - when more wait than that while the queue stands (demand past what the line serves), the limit falls to what the
 *   line serves within the target: completions per second x target (Little's law), at least 1, on the webhooks
 *   waiting (the wait is measured from the arrival, so the count is too). What is admitted then waits about the
 *   target; the rest is refused at once.
 * - while limited, one arriving at the limit is refused; the limit grows by one per interval in which every webhook
 *   finished in time, and lifts once webhooks have finished in time and nobody was refused for a whole interval
 *   (the rate dropped): admission resumes by itself.
 */
export class IntakeLatencyLimit {
  /** while the queue stands: the most webhooks that may wait before demand counts as past what the line serves */
  private held = Infinity;
  /** the webhooks that may wait once demand is past what the line serves; Infinity until then */
  private limit = Infinity;
  /** the most webhooks seen waiting per interval, the current one first */
  private readonly peaks: number[] = [0];
  /** completions and duration (ms) of the last full intervals, the latest first */
  private readonly windows: { completions: number; ms: number }[] = [];
  /** last time the intake was in time: a webhook finished within the target, or nothing was in flight */
  private lastInTimeAt = -Infinity;
  /** last time a webhook finished past the target */
  private lastLateAt = -Infinity;
  private lastRefusedAt = -Infinity;
  private lastGrownAt = -Infinity;
  private windowStart: number | undefined;
  private windowCompletions = 0;

  constructor(
    /** the wait a webhook should not exceed; 0 = no time limit */
    readonly targetMs: number,
    readonly intervalMs: number = STANDING_QUEUE_INTERVAL_MS,
    /** the hold admits at least this many waiting (TETHER_INTAKE_HOLD_FLOOR) */
    readonly holdFloor: number = DEFAULT_HOLD_FLOOR,
  ) {}

  /** the webhooks that may wait now (Infinity: not limiting) */
  get currentLimit(): number {
    return this.limit;
  }

  /** the most webhooks that may wait while the queue stands (Infinity: not holding) */
  get currentHold(): number {
    return this.held;
  }

  /**
   * May one more webhook be admitted at `now`, with `inFlight` webhooks in flight past this step, the oldest of them
   * arrived at `oldestArrivedAt`, and `waiting` call webhooks in the HTTP layer (arrived, not yet answered, this one
   * included; at least inFlight + 1)?
   */
  admits(
    now: number,
    inFlight: number,
    oldestArrivedAt: number | undefined,
    waiting: number = inFlight + 1,
  ): boolean {
    if (this.targetMs <= 0) return true;
    this.roll(now);
    this.peaks[0] = Math.max(this.peaks[0], waiting);
    if (inFlight === 0 || oldestArrivedAt === undefined) this.lastInTimeAt = now;
    const oldestLate = oldestArrivedAt !== undefined && now - oldestArrivedAt > this.targetMs;
    // every webhook of the last interval finished in time, and none in flight is late yet
    const inTime = !oldestLate && now - this.lastLateAt >= this.intervalMs;
    if (this.held !== Infinity && inTime && now - this.lastRefusedAt >= this.intervalMs) {
      this.held = Infinity;
      this.limit = Infinity;
    }
    const standing = oldestLate && now - this.lastInTimeAt > this.intervalMs;
    if (this.held === Infinity) {
      if (!standing) return true;
      // the queue stands: hold at what waited lately (a platform that waits for its answers stays under it)
      this.held = Math.max(HOLD_FACTOR * Math.max(...this.peaks), this.holdFloor);
    }
    if (this.limit === Infinity) {
      if (!standing || waiting <= this.held) return true;
      // more wait than lately while the queue stands: keep what the line serves within the target
      this.limit = this.servedWithinTarget();
    }
    if (waiting <= this.limit) return true;
    if (inTime && now - this.lastGrownAt >= this.intervalMs) {
      // in time at the limit: the line may serve more than when the limit was set
      this.limit = Math.max(this.limit + 1, this.servedWithinTarget());
      this.lastGrownAt = now;
      return true;
    }
    if (standing) this.limit = Math.min(this.limit, this.servedWithinTarget());
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

  /** Little's law: the webhooks waiting that the completion rate of the last second answers within the target */
  private servedWithinTarget(): number {
    const completions = this.windows.reduce((sum, w) => sum + w.completions, 0);
    const ms = this.windows.reduce((sum, w) => sum + w.ms, 0);
    return ms > 0 ? Math.max(1, Math.ceil((completions * this.targetMs) / ms)) : 1;
  }

  private roll(now: number): void {
    if (this.windowStart === undefined) {
      this.windowStart = now;
      return;
    }
    const elapsed = now - this.windowStart;
    if (elapsed < this.intervalMs) return;
    // an idle gap counts as two intervals: the rate is what the line serves while it has work
    this.windows.unshift({ completions: this.windowCompletions, ms: Math.min(elapsed, 2 * this.intervalMs) });
    if (this.windows.length > PEAK_WINDOWS) this.windows.pop();
    this.windowStart = now;
    this.windowCompletions = 0;
    this.peaks.unshift(0);
    if (this.peaks.length > PEAK_WINDOWS) this.peaks.pop();
  }
}
