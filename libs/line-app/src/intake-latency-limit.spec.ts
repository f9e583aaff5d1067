import { IntakeLatencyLimit } from './intake-latency-limit';

/**
 * A fake intake over IntakeLatencyLimit: webhooks arrive and finish when the test says, on a clock the test moves
 * (ms). It keeps the in-flight webhooks as the interceptor does, oldest first.
 */
class FakeIntake {
  now = 0;
  private readonly inFlight = new Map<number, number>();
  private nextId = 0;
  refused = 0;

  constructor(readonly limit: IntakeLatencyLimit) {}

  get count(): number {
    return this.inFlight.size;
  }

  /** one webhook arrives now (after waiting `waitedMs` before the decision); its id, or undefined when refused */
  arrive(waitedMs = 0): number | undefined {
    const oldest = this.inFlight.values().next();
    if (!this.limit.admits(this.now, this.inFlight.size, oldest.done ? undefined : oldest.value)) {
      this.refused++;
      return undefined;
    }
    const id = this.nextId++;
    this.inFlight.set(id, this.now - waitedMs);
    return id;
  }

  finish(id: number | undefined): void {
    if (id === undefined) return;
    const arrivedAt = this.inFlight.get(id);
    if (arrivedAt === undefined) throw new Error(`webhook ${id} is not in flight`);
    this.inFlight.delete(id);
    this.limit.finished(this.now, arrivedAt);
  }

  /** finishes the oldest webhook in flight */
  finishOldest(): void {
    const oldest = this.inFlight.keys().next();
    if (!oldest.done) this.finish(oldest.value);
  }

  advance(ms: number): void {
    this.now += ms;
  }
}

describe('IntakeLatencyLimit', () => {
  it('0 = off: admits anything, however long webhooks wait', () => {
    const intake = new FakeIntake(new IntakeLatencyLimit(0));
    for (let i = 0; i < 100; i++) {
      intake.arrive();
      intake.advance(1000);
    }
    expect(intake.refused).toBe(0);
  });

  it('one slow webhook among webhooks answered in time is no overload', () => {
    const intake = new FakeIntake(new IntakeLatencyLimit(50, 100));
    const slow = intake.arrive();
    for (let t = 0; t < 2000; t += 5) {
      const fast = intake.arrive();
      intake.advance(5);
      intake.finish(fast);
    }
    expect(intake.refused).toBe(0);
    intake.finish(slow);
  });

  it('a burst that arrives within the interval and is being served is admitted whole', () => {
    const intake = new FakeIntake(new IntakeLatencyLimit(50, 100));
    // 1,000 over 100 ms (10 per ms) while 1 per ms is served: the first are answered in time, nobody is refused
    const ids: (number | undefined)[] = [];
    for (let ms = 0; ms < 100; ms++) {
      for (let i = 0; i < 10; i++) ids.push(intake.arrive());
      intake.advance(1);
      intake.finishOldest();
    }
    expect(intake.refused).toBe(0);
    while (intake.count > 0) {
      intake.advance(1);
      intake.finishOldest();
    }
    expect(ids.filter((id) => id === undefined)).toEqual([]);
  });

  it('a platform that waits for its answers (100 connections, each answer slow) is never refused', () => {
    const intake = new FakeIntake(new IntakeLatencyLimit(50, 100));
    // closed loop: 100 in flight, every answer takes 300 ms (far past the target), a new one per one answered
    for (let i = 0; i < 100; i++) intake.arrive();
    for (let answered = 0; answered < 1000; answered++) {
      intake.advance(3);
      intake.finishOldest();
      intake.arrive();
    }
    expect(intake.refused).toBe(0);
    expect(intake.count).toBe(100);
  });

  it('past the rate it serves: holds, then keeps what it answers within the target and refuses the rest', () => {
    const limit = new IntakeLatencyLimit(50, 100);
    const intake = new FakeIntake(limit);
    // served one at a time, one per ms (1,000/s), while 2,000/s arrive: a queue that would grow without end
    const waits: number[] = [];
    const arrivedAt = new Map<number, number>();
    for (let ms = 0; ms < 5000; ms++) {
      for (let i = 0; i < 2; i++) {
        const id = intake.arrive();
        if (id !== undefined) arrivedAt.set(id, intake.now);
      }
      intake.advance(1);
      if (arrivedAt.size > 0) {
        const [id, at] = arrivedAt.entries().next().value as [number, number];
        waits.push(intake.now - at);
        arrivedAt.delete(id);
        intake.finish(id);
      }
    }
    // about half refused, and what was admitted waited about the target once the limit acted
    expect(intake.refused).toBeGreaterThan(4000);
    expect(intake.refused).toBeLessThan(6000);
    expect(Math.max(...waits.slice(waits.length / 2))).toBeLessThanOrEqual(60);
    // the limit is about what 1,000/s serves in 50 ms
    expect(limit.currentLimit).toBeGreaterThanOrEqual(45);
    expect(limit.currentLimit).toBeLessThanOrEqual(60);
    // without it the last webhook would have waited 2.5 s; the worst was the queue built before it acted (the
    // standing interval, then the hold at twice what waited)
    expect(Math.max(...waits)).toBeLessThan(500);
  });

  it('recovers by itself when the rate drops', () => {
    const limit = new IntakeLatencyLimit(50, 100);
    const intake = new FakeIntake(limit);
    // a standing queue: 20 in flight for 200 ms with nothing answered; the hold admits up to 128 waiting (twice
    // the 21 seen is less), then one more is past what the line serves: refused
    for (let i = 0; i < 20; i++) intake.arrive();
    intake.advance(200);
    let held = 0;
    while (intake.arrive() !== undefined) held++;
    expect(limit.currentHold).toBe(128);
    expect(held).toBe(108);
    expect(limit.currentLimit).toBe(1);
    // the queue drains; then webhooks come one at a time and are answered in 5 ms
    while (intake.count > 0) {
      intake.advance(1);
      intake.finishOldest();
    }
    for (let i = 0; i < 30; i++) {
      const id = intake.arrive();
      expect(id).toBeDefined();
      intake.advance(5);
      intake.finish(id);
    }
    // an interval in time with nobody refused: the limit is lifted, a burst of 100 is admitted whole
    expect(limit.currentLimit).toBe(Infinity);
    expect(limit.currentHold).toBe(Infinity);
    for (let i = 0; i < 100; i++) expect(intake.arrive()).toBeDefined();
  });

  it.each([
    [0, false],
    [60, true],
  ])(
    'counts the wait before the decision (%i ms waited before it): past the target by then, the queue stands: %s',
    (waitedMs, stands) => {
      const limit = new IntakeLatencyLimit(50, 100);
      const intake = new FakeIntake(limit);
      // one in flight at a time, each answered 1 ms after the decision, but arrived `waitedMs` before it
      let previous = intake.arrive(waitedMs);
      for (let ms = 0; ms < 150; ms++) {
        intake.advance(1);
        const next = intake.arrive(waitedMs);
        intake.finish(previous);
        previous = next;
      }
      expect(limit.currentHold < Infinity).toBe(stands);
      expect(intake.refused).toBe(0);
    },
  );

  it('limited and in time at the limit: grows to what the line serves, and lifts once nobody is refused', () => {
    const limit = new IntakeLatencyLimit(50, 100);
    const intake = new FakeIntake(limit);
    for (let i = 0; i < 5; i++) intake.arrive();
    intake.advance(150);
    // held at 128 waiting, then cut to what finished in the last second (nothing): 1
    while (intake.arrive() !== undefined);
    expect(intake.count).toBe(128);
    expect(limit.currentLimit).toBe(1);
    while (intake.count > 0) intake.finishOldest();
    // answered in time from now on (1 ms), 10 arriving per ms: one admitted per ms until a whole interval was in
    // time, then the limit grows to what the last second's completions serve in 50 ms, and lifts
    const refusedBefore = intake.refused;
    let admitted = 0;
    for (let ms = 0; ms < 500; ms++) {
      const ids = Array.from({ length: 10 }, () => intake.arrive());
      admitted += ids.filter((id) => id !== undefined).length;
      intake.advance(1);
      for (const id of ids) intake.finish(id);
    }
    expect(intake.refused - refusedBefore).toBe(900);
    expect(admitted).toBe(4100);
    expect(limit.currentLimit).toBe(Infinity);
  });
});
