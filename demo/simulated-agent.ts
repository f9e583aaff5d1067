import type { OfferPayload } from '@tether/realtime';
import { AgentClient } from '../examples/agent-client/agent-client';
import type { DemoAgent } from './demo-seed';

/** What the floor needs to hear from an agent, to tell the story and to play the caller's side. */
export interface AgentListener {
  /** whether declining would still leave someone to take the call (a declined contact never comes back) */
  mayDecline(offer: OfferPayload): boolean;
  offered(agent: SimulatedAgent, offer: OfferPayload): void;
  rejected(agent: SimulatedAgent, offer: OfferPayload, reason: string): void;
  accepted(agent: SimulatedAgent, offer: OfferPayload): void;
  completed(agent: SimulatedAgent, contactId: string, resolution: string, wrapUpUntil: string | null): void;
  presence(agent: SimulatedAgent, text: string): void;
  problem(agent: SimulatedAgent, text: string): void;
}

const REJECT_REASONS = ['still writing up the last call', 'not my area', 'on another task'];
const between = (min: number, max: number) => min + Math.random() * (max - min);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * An agent who behaves like a person, on top of the example agent client (examples/agent-client): reads an offer
 * for a moment before answering, now and then declines one, talks until the caller hangs up, writes notes before
 * completing, and sometimes steps away for a coffee. When stopping it finishes what it holds, then goes offline.
 */
export class SimulatedAgent {
  readonly client: AgentClient;
  /** contacts accepted and not yet completed */
  private readonly holding = new Set<string>();
  private stopping = false;
  private awayUntil = 0;
  private breakTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly agent: DemoAgent,
    gatewayUrl: string,
    token: string,
    private readonly listener: AgentListener,
    /** chance per offer to decline it */
    private readonly rejectRate = 0.12,
  ) {
    // a loaded machine can take seconds to acknowledge; an unanswered accept leaves the call in limbo
    this.client = new AgentClient({ gatewayUrl, token, ackTimeoutMs: 20_000 });
    this.client
      .on('offer', (offer) => void this.consider(offer))
      .on('contact:ended', (ended) => void this.wrapUp(ended.contactId))
      .on('agent:presence', (presence) => {
        if (presence.state !== 'away' || this.stopping) return;
        this.listener.presence(this, `set away by Tether (${presence.reason}); back in a moment`);
        setTimeout(() => void this.backToDesk(), between(2_000, 5_000));
      })
      .onFatal((reason) => this.listener.problem(this, `refused: ${reason}`));
  }

  get name(): string {
    return this.agent.name.replace(/ \(demo\)$/, '');
  }

  get busy(): boolean {
    return this.holding.size > 0;
  }

  /** Connects and resolves once signed in and available. */
  start(): Promise<void> {
    const ready = new Promise<void>((done, fail) => {
      this.client.onReady(() => done());
      this.client.onFatal((reason) => fail(new Error(`${this.name} could not sign in: ${reason}`)));
    });
    this.client.connect();
    this.scheduleBreak();
    return ready;
  }

  /** Completes (after the caller has gone) whatever is in hand, then goes offline and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.breakTimer);
    const deadline = Date.now() + 15_000;
    while (this.holding.size > 0 && Date.now() < deadline) await sleep(100);
    await this.client.close();
  }

  private async consider(offer: OfferPayload): Promise<void> {
    this.listener.offered(this, offer);
    await sleep(between(800, 3_000)); // reading the customer card
    if (!this.stopping && Math.random() < this.rejectRate && this.listener.mayDecline(offer)) {
      const reason = REJECT_REASONS[Math.floor(Math.random() * REJECT_REASONS.length)];
      const ack = await this.client
        .reject(offer.offerId, reason)
        .catch((e: Error) => ({ ok: false, error: e.message }) as const);
      if (ack.ok) this.listener.rejected(this, offer, reason);
      else this.listener.problem(this, `reject refused: ${ack.error}`);
      return;
    }
    const ack = await this.client.accept(offer.offerId).catch(() => undefined);
    // no acknowledgement at all: most likely taken but slow to say so; the caller's side goes on as if it were
    if (ack && !ack.ok) return this.listener.problem(this, `accept refused: ${ack.error}`);
    if (!ack) this.listener.problem(this, 'accept not acknowledged in time: going on as if taken');
    this.holding.add(offer.contact.id);
    this.listener.accepted(this, offer);
  }

  /** The caller hung up: notes, then complete. */
  private async wrapUp(contactId: string): Promise<void> {
    if (!this.holding.has(contactId)) return;
    await sleep(this.stopping ? 200 : between(1_000, 3_500));
    const roll = Math.random();
    const resolution = roll < 0.75 ? 'resolved' : roll < 0.9 ? 'follow_up' : 'unresolved';
    const ack = await this.client
      .complete(contactId, resolution, `demo call, ${resolution.replace('_', ' ')}`)
      .catch((e: Error) => ({ ok: false, error: e.message }) as const);
    if (!ack.ok) return this.listener.problem(this, `complete refused: ${ack.error}`);
    this.holding.delete(contactId);
    this.listener.completed(this, contactId, resolution, ack.wrapUpUntil);
  }

  /** Now and then, between calls, a coffee. */
  private scheduleBreak(): void {
    this.breakTimer = setTimeout(() => void this.takeBreak(), between(40_000, 120_000));
  }

  private async takeBreak(): Promise<void> {
    if (this.stopping) return;
    if (this.busy || Math.random() < 0.5) return this.scheduleBreak();
    const seconds = Math.round(between(8, 20));
    this.awayUntil = Date.now() + seconds * 1000;
    const ack = await this.client.setStatus('away').catch(() => undefined);
    if (ack?.ok) this.listener.presence(this, `away for a coffee (${seconds} s)`);
    await sleep(seconds * 1000);
    await this.backToDesk();
    this.scheduleBreak();
  }

  private async backToDesk(): Promise<void> {
    if (this.stopping || Date.now() < this.awayUntil) return;
    const ack = await this.client.setStatus('available').catch(() => undefined);
    if (ack?.ok) this.listener.presence(this, 'available again');
  }
}
