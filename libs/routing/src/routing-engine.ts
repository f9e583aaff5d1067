import { RoutingPass } from './routing-pass';
import type { RoutingPassInput, RoutingPassResult } from './routing.types';

/**
 * Decides who gets which waiting contact and why. Pure and deterministic: same input, same result;
 * no clock, no I/O, no state between calls, so a pass can be replayed from its input (simulate
 * endpoint, unit tests) and any instance can run it.
 *
 * A pass, in queue order (priority desc, enqueuedAt asc, id asc):
 * 1. sticky: a contact with a preferred agent (last agent / case owner) gets them if they are free;
 *    if they are signed in but not free, the contact is held until enqueuedAt + sticky.waitSeconds;
 *    if they are offline, or the wait is over, the contact falls through to 2.
 * 2. skills: the longest-idle free agent on the contact's line who meets every required skill level.
 * Every assignment takes one slot of the agent's channel capacity for the rest of the pass.
 */
export class RoutingEngine {
  decide(input: RoutingPassInput): RoutingPassResult {
    return new RoutingPass(input).run();
  }
}
