import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { scrubText } from '@tether/observability';
import { WakeTimer } from '@tether/scheduler';

/** Sweeps for offers whose expiry nobody in this process knew about (made by an instance that died) this often. */
const SWEEP_MS = 1_000;

/**
 * When to expire offers. A pending offer's `expires_at` is its own durable timer (no job row per offer); this clock
 * decides when to look: at the earliest expiry this process made (`expectAt`), and every second for the rest. The
 * sweep itself (`OfferService.expireDue`) expires each due offer in its own transaction under the contact's lock,
 * so instances sweeping at once cannot double-apply an expiry.
 */
@Injectable()
export class OfferExpiryClock implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OfferExpiryClock.name);
  private sweep?: () => Promise<void>;
  private interval?: NodeJS.Timeout;
  private readonly wakeTimer = new WakeTimer(() => this.run(), 5);
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  /** The sweep to run (OfferService registers it). */
  onDue(sweep: () => Promise<void>): void {
    this.sweep = sweep;
  }

  /** An offer this process committed expires then: look at (just after) that time. */
  expectAt(at: Date): void {
    if (this.stopped) return;
    this.wakeTimer.at(at);
  }

  onApplicationBootstrap(): void {
    if (!this.sweep) return;
    this.interval = setInterval(() => this.run(), SWEEP_MS);
    this.interval.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    this.wakeTimer.cancel();
    await this.running;
  }

  /** Runs a sweep now, or right after the one in progress. */
  run(): void {
    if (this.stopped || !this.sweep) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const sweep = this.sweep;
    this.running = sweep()
      .catch((error: Error) => this.logger.warn(`offer expiry sweep failed: ${scrubText(error.message)}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.run();
        }
      });
  }
}
