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
 * A failed read (most often the database went away, and the first read after it is back fails on a dropped
 * connection) is tried again with its batch after RETRY_FIRST_MS, doubling to RETRY_MAX_MS: agents get offers made
 * around an outage as soon as the database answers, not only at the next reconciliation, while their offers' clock
 * runs. Only what is still pending is read, so a retry never delivers an offer that ended meanwhile. Beyond that,
 * nothing is lost for good: the reconciliation (`AgentSocketSync.reconcile`, every TETHER_AGENT_RESYNC_MS) sends
 * every pending offer a socket misses.
 */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;
/** announcements kept for the next read at most (a long outage: the reconciliation covers what is dropped) */
const MAX_GATHERING = 10_000;

export class OfferAnnouncements {
  /** offer id → agent id, gathering for the next read */
  private gathering = new Map<string, string>();
  private scheduled = false;
  private reading?: Promise<void>;
  /** 0 after a read that worked; after a failure, how long to wait before reading its batch again */
  private retryMs = 0;

  constructor(
    private readonly read: ReadOffers,
    /** whether this gateway has a socket of the agent (else the announcement is not for this gateway) */
    private readonly servesAgent: (agentId: string) => boolean,
    private readonly deliver: (agentId: string, offer: OfferPayload) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  announce(agentId: string, offerId: string): void {
    if (!this.servesAgent(agentId) || this.gathering.size >= MAX_GATHERING) return;
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
    const run = () => {
      this.scheduled = false;
      this.flush();
    };
    // after a failed read: wait before the next; otherwise after the current turn, so the rest of a Redis read's
    // events (delivered synchronously) join this batch
    if (this.retryMs > 0) setTimeout(run, this.retryMs).unref();
    else setImmediate(run);
  }

  private flush(): void {
    if (this.gathering.size === 0) return;
    const batch = this.gathering;
    this.gathering = new Map();
    this.reading = this.read([...batch.keys()])
      .then((offers) => {
        this.retryMs = 0;
        for (const offer of offers) {
          const agentId = batch.get(offer.offerId);
          if (agentId) this.deliver(agentId, offer);
        }
      })
      .catch((error: Error) => {
        this.onError(error);
        // the batch goes back, to be read again after the delay (announcements made meanwhile join it)
        for (const [offerId, agentId] of batch)
          if (this.gathering.size < MAX_GATHERING) this.gathering.set(offerId, agentId);
        this.retryMs = Math.min(Math.max(this.retryMs * 2, RETRY_FIRST_MS), RETRY_MAX_MS);
      })
      .finally(() => {
        this.reading = undefined;
        if (this.gathering.size > 0) this.schedule();
      });
  }
}
