import { RoutingPass } from './routing-pass';
import type { RoutingPassInput, RoutingPassResult } from './routing.types';

/**
 * Decides who gets which waiting contact and why. Pure and deterministic: same input, same result;
 * no clock, no I/O, no state between calls, so a pass can be replayed from its input (simulate
 * endpoint, unit tests) and any instance can run it.
 *
 * A pass, in queue order (priority desc, enqueuedAt asc, id asc):
 * 1. sticky: a contact with a preferred agent (`preferredAgentFor`: case owner, else last agent within the
 *    horizon) gets them if they are ready with a free slot;
 *    if they are signed in but not free, the contact is held until enqueuedAt + sticky.waitSeconds;
 *    if they are offline, or the wait is over, the contact falls through to 2.
 * 2. skills: the longest-idle free agent on the contact's line who meets every required skill level.
 * Every assignment takes one slot of the agent's channel capacity for the rest of the pass.
 */
export class RoutingEngine {
  /**
   * How many ready agents a pass needs to read, longest idle first, when `contactCount` contacts wait: the bound
   * the snapshot applies for speed, stated here because it follows from this engine's policy. Skills routing gives
   * each contact the longest-idle ready agent who qualifies, so the longest-idle few are the only agents it can
   * pick unless skills or exclusions rule them out; when that happens the result says `needsAllAgents` and the
   * pass is decided again with every ready agent (the property test in routing-engine.spec.ts checks that a capped
   * input that does not ask for more decides exactly as the full one). Four per contact, at least eight, makes
   * the second read rare. If this engine stopped preferring the longest-idle agent, this bound would have to go.
   */
  static readonly READY_AGENTS_PER_CONTACT = 4;
  static readonly MIN_READY_AGENTS = 8;

  static readyAgentsToRead(contactCount: number): number {
    return Math.max(RoutingEngine.MIN_READY_AGENTS, contactCount * RoutingEngine.READY_AGENTS_PER_CONTACT);
  }

  decide(input: RoutingPassInput): RoutingPassResult {
    return new RoutingPass(input).run();
  }
}
