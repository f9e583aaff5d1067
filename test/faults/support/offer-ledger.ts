import type { AgentClient, OfferEvent } from '@tether/testing';

export interface SeenOffer {
  offerId: string;
  contactId: string;
  agentId: string;
  /** when the agent's client got it (ms since epoch) */
  receivedAt: number;
  expiresAt: number;
  offer: OfferEvent;
}

interface Waiter {
  contactId: string;
  after: number;
  previousOfferId?: string;
  resolve: (offer: SeenOffer) => void;
}

/**
 * Every offer any agent of a test received, in arrival order, indexed by contact: the agents' side of the story,
 * to set against what the database says afterwards (and to time how soon a contact came back).
 */
export class OfferLedger {
  readonly all: SeenOffer[] = [];
  private readonly byContact = new Map<string, SeenOffer[]>();
  private readonly waiters = new Set<Waiter>();

  /** Records every offer `agent` receives from now on. */
  watch(agent: AgentClient): void {
    agent.on('offer', (offer) => {
      this.record({
        offerId: offer.offerId,
        contactId: offer.contact.id,
        agentId: agent.agentId,
        receivedAt: Date.now(),
        expiresAt: Date.parse(offer.expiresAt),
        offer,
      });
    });
  }

  forContact(contactId: string): readonly SeenOffer[] {
    return this.byContact.get(contactId) ?? [];
  }

  /**
   * The first offer of the contact received at or after `after` other than `previousOfferId` (an offer is re-sent
   * when its agent reconnects), waiting up to `timeoutMs`; undefined if none came.
   */
  nextFor(
    contactId: string,
    after: number,
    timeoutMs: number,
    previousOfferId?: string,
  ): Promise<SeenOffer | undefined> {
    const seen = this.forContact(contactId).find(
      (o) => o.receivedAt >= after && o.offerId !== previousOfferId,
    );
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        contactId,
        after,
        previousOfferId,
        resolve: (offer) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(offer);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The first offer (of any contact) received at or after `after`. */
  firstAfter(after: number): SeenOffer | undefined {
    return this.all.find((o) => o.receivedAt >= after);
  }

  private record(seen: SeenOffer): void {
    this.all.push(seen);
    const list = this.byContact.get(seen.contactId);
    if (list) list.push(seen);
    else this.byContact.set(seen.contactId, [seen]);
    for (const waiter of [...this.waiters]) {
      if (
        waiter.contactId === seen.contactId &&
        seen.receivedAt >= waiter.after &&
        seen.offerId !== waiter.previousOfferId
      )
        waiter.resolve(seen);
    }
  }
}
