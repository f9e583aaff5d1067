import { AsyncLocalStorage } from 'node:async_hooks';
import { WakeTimer } from './wake-timer';

describe('WakeTimer', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-25T10:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('fires once, at the earliest moment asked for', () => {
    const fire = jest.fn();
    const timer = new WakeTimer(fire, 2);
    timer.at(new Date(Date.now() + 1_000));
    timer.at(new Date(Date.now() + 300)); // earlier: brought forward
    timer.at(new Date(Date.now() + 600)); // later than pending: ignored
    jest.advanceTimersByTime(301);
    expect(fire).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(5_000);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('can be set again after firing, and cancelled', () => {
    const fire = jest.fn();
    const timer = new WakeTimer(fire, 0);
    timer.at(new Date(Date.now() + 10));
    jest.advanceTimersByTime(10);
    timer.at(new Date(Date.now() + 50));
    jest.advanceTimersByTime(50);
    expect(fire).toHaveBeenCalledTimes(2);
    timer.at(new Date(Date.now() + 10));
    timer.cancel();
    jest.advanceTimersByTime(100);
    expect(fire).toHaveBeenCalledTimes(2);
  });

  it("fires in its owner's async context, not in that of the caller who set it", () => {
    const context = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const timer = context.run('owner', () => new WakeTimer(() => seen.push(context.getStore()), 0));
    context.run('a request', () => timer.at(new Date(Date.now() + 10)));
    jest.advanceTimersByTime(10);
    expect(seen).toEqual(['owner']);
  });
});
