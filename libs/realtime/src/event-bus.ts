import type { TetherEvent } from './tether-events';

export type EventHandler = (event: TetherEvent) => void;
export type RecoveryListener = () => void;

/** The one door for cross-process events. In-process when running alone, Redis when several instances cooperate. */
export abstract class EventBus {
  abstract publish(event: TetherEvent): Promise<void>;
  abstract subscribe(handler: EventHandler): () => void;
  /** true when the bus's backing service answers (the in-process bus always does) */
  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /**
   * Calls `listener` each time the bus's subscription recovers after losing its backing service. Events published
   * while it was gone may be missing for good (a publish that failed never reached the stream), so a subscriber
   * that turns events into state re-reads that state from PostgreSQL. The in-process bus never loses anything.
   */
  onRecovered(_listener: RecoveryListener): () => void {
    return () => undefined;
  }
}
