import type { TetherEvent } from './tether-events';

export type EventHandler = (event: TetherEvent) => void;

/** The one door for cross-process events. In-process when running alone, Redis when several instances cooperate. */
export abstract class EventBus {
  abstract publish(event: TetherEvent): Promise<void>;
  abstract subscribe(handler: EventHandler): () => void;
  /** true when the bus's backing service answers (the in-process bus always does) */
  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
