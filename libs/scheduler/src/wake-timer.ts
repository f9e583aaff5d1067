import { AsyncResource } from 'node:async_hooks';

/**
 * One timer that fires at the earliest of the moments it was asked for: `at(t)` brings it forward when t is earlier
 * than the pending moment and is a no-op otherwise. Unref'd, so it never keeps a process alive. It fires in the async
 * context it was made in (its owner's), not in that of whoever brought it forward last: a timer moved by an HTTP
 * request would otherwise run, and log, as part of that request.
 */
export class WakeTimer {
  private timer?: NodeJS.Timeout;
  private wakeAt = Number.POSITIVE_INFINITY;
  private readonly fire: () => void;

  constructor(
    fire: () => void,
    /** added to the delay: firing a little after the moment finds what fell due at it */
    private readonly slackMs = 2,
  ) {
    this.fire = AsyncResource.bind(fire);
  }

  at(when: Date): void {
    const ms = when.getTime();
    if (ms >= this.wakeAt) return;
    this.wakeAt = ms;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.timer = undefined;
        this.fire();
      },
      Math.max(0, ms - Date.now()) + this.slackMs,
    );
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
  }
}
