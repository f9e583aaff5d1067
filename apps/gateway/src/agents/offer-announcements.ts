import type { OfferPayload } from '@tether/realtime';

/** Reads the payloads of the offers still pending among these ids, in one query (`AgentResyncService.announcedOffers`). */
export type ReadOffers = (offerIds: string[]) => Promise<OfferPayload[]>;

/**
 * Turns `offer.created` announcements (ids only: the bus carries no personal data) into offers for this gateway's
 * sockets, reading their payloads from PostgreSQL in batches: every announcement that arrives within one turn of the
 * event loop (a Redis read hands over up to 500 events at once) is read in one query, and while a read is in flight
 * the next batch gathers behind it, so there is at most one query in flight per gateway and a burst costs a few
 * queries, not one per offer. Announcements for agents without a socket here are dropped before any query.
 *
 * A failed read loses nothing for good: the gateway's reconciliation (`AgentSocketSync.reconcile`, every
 * TETHER_AGENT_RESYNC_MS) sends every pending offer a socket misses.
 */
export class OfferAnnouncements {
  /** offer id → agent id, gathering for the next read */
  private gathering = new Map<string, string>();
  private scheduled = false;
  private reading?: Promise<void>;

  constructor(
    private readonly read: ReadOffers,
    /** whether this gateway has a socket of the agent (else the announcement is not for this gateway) */
    private readonly servesAgent: (agentId: string) => boolean,
    private readonly deliver: (agentId: string, offer: OfferPayload) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  announce(agentId: string, offerId: string): void {
    if (!this.servesAgent(agentId)) return;
    this.gathering.set(offerId, agentId);
    this.schedule();
  }

  /** Resolves once every announcement made before this call has been read and delivered (tests). */
  async settled(): Promise<void> {
    while (this.scheduled || this.reading || this.gathering.size > 0) {
      if (this.reading) await this.reading;
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.reading) return;
    this.scheduled = true;
    // after the current turn: the rest of a Redis read's events (delivered synchronously) join this batch
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.gathering.size === 0) return;
    const batch = this.gathering;
    this.gathering = new Map();
    this.reading = this.read([...batch.keys()])
      .then((offers) => {
        for (const offer of offers) {
          const agentId = batch.get(offer.offerId);
          if (agentId) this.deliver(agentId, offer);
        }
      })
      .catch((error: Error) => this.onError(error))
      .finally(() => {
        this.reading = undefined;
        if (this.gathering.size > 0) this.schedule();
      });
  }
}
