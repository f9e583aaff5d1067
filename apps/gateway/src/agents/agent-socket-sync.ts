import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { AgentResyncService } from '@tether/contacts';
import type {
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  OfferPayload,
  OfferRevokeReason,
} from '@tether/realtime';

/** What the sync needs of an agent's socket: who it is, whether its session is set up, the offers it was sent. */
export interface SyncedSocketData {
  agentId: string;
  /** set once the session is set up (rooms joined, queue and pending offers sent on connect) */
  ready: boolean;
  /** the offers this socket was sent that, as far as it has been told, are still pending */
  offers: Set<string>;
}
export type SyncedSocket = Socket<
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  Record<string, never>,
  SyncedSocketData
>;

/**
 * A retired offer is remembered this long, so that a late `offer.created` (a publish stuck behind a Redis blip, an
 * announcement that raced the revocation from another instance, the stream replaying after the reader's outage)
 * cannot bring back an offer this gateway already revoked. Most are past the offer's expiry by then and dropped for
 * that; the rest would be revoked again by the next reconciliation.
 */
const RETIRED_KEEP_MS = 2 * 60_000;

/**
 * Keeps each agent socket of this gateway in step with PostgreSQL, whatever the event bus lost. Every offer emitted
 * to a socket goes through here and is remembered per socket, so a re-send never duplicates (a client cannot tell a
 * re-sent offer from a new one) and a revocation goes to exactly the sockets that hold the offer. `reconcile` reads
 * the pending offers of every agent connected here in one query and sends what a socket misses and revokes what it
 * holds that has ended; the gateway runs it periodically and whenever the bus recovers.
 */
export class AgentSocketSync {
  private readonly logger = new Logger(AgentSocketSync.name);
  /** offers known to have ended (revoked here or announced revoked): never sent again */
  private readonly retired = new Map<string, number>();
  private running?: Promise<void>;
  private again = false;
  /** re-sent and revoked by reconciliation since start (for the logs) */
  private readonly totals = { resent: 0, revoked: 0 };

  constructor(
    private readonly resync: AgentResyncService,
    private readonly sockets: () => Iterable<SyncedSocket>,
    private readonly socketsOf: (agentId: string) => SyncedSocket[],
  ) {}

  /** Emits the offer unless this socket already has it, it has ended, or it is past its expiry. */
  sendOffer(socket: SyncedSocket, offer: OfferPayload): boolean {
    const { offers } = socket.data;
    if (offers.has(offer.offerId) || this.retired.has(offer.offerId)) return false;
    if (Date.parse(offer.expiresAt) <= Date.now()) return false;
    offers.add(offer.offerId);
    socket.emit('offer', offer);
    return true;
  }

  /** The offer ended: the sockets of the agent that hold it are told (once), and it is never sent again. */
  revokeOffer(agentId: string, offerId: string, contactId: string, reason: OfferRevokeReason): void {
    this.retire(offerId);
    for (const socket of this.socketsOf(agentId))
      if (socket.data.offers.delete(offerId)) socket.emit('offer:revoked', { offerId, contactId, reason });
  }

  /**
   * The socket's own accept or reject settled the offer: nothing more to send about it, and it is never sent again
   * (its `offer.created` announcement or a reconciliation that read it still pending may arrive after the accept).
   */
  settled(socket: SyncedSocket, offerId: string): void {
    socket.data.offers.delete(offerId);
    this.retire(offerId);
  }

  /** Runs a reconciliation now, or once more right after the one in flight (never two at once). */
  reconcile(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.reconcileOnce().catch((error: Error) =>
          this.logger.warn(`agent resync failed: ${error.message}`),
        );
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async reconcileOnce(): Promise<void> {
    this.forgetOldRetired();
    const ready = [...this.sockets()].filter((s) => s.data.ready);
    if (ready.length === 0) return;
    const pending = await this.resync.pendingOffers([...new Set(ready.map((s) => s.data.agentId))]);
    const missing = new Set<string>();
    const stale = new Set<string>();
    for (const socket of ready) {
      const due = pending.get(socket.data.agentId);
      for (const offerId of due ?? [])
        if (!socket.data.offers.has(offerId) && !this.retired.has(offerId)) missing.add(offerId);
      // held but not pending any more: perhaps ended, perhaps created after the query; endedOffers tells
      for (const offerId of socket.data.offers) if (!due?.has(offerId)) stale.add(offerId);
    }
    let resent = 0;
    let revoked = 0;
    if (missing.size > 0) {
      const agentOf = new Map(
        [...pending].flatMap(([agentId, ids]) => [...ids].map((id) => [id, agentId] as const)),
      );
      for (const offer of await this.resync.offerPayloads([...missing])) {
        const agentId = agentOf.get(offer.offerId);
        if (!agentId) continue;
        for (const socket of this.socketsOf(agentId))
          if (socket.data.ready && this.sendOffer(socket, offer)) resent++;
      }
    }
    if (stale.size > 0) {
      for (const ended of await this.resync.endedOffers([...stale])) {
        this.retire(ended.offerId);
        for (const socket of this.socketsOf(ended.agentId)) {
          if (!socket.data.offers.delete(ended.offerId) || !ended.revokeReason) continue;
          socket.emit('offer:revoked', {
            offerId: ended.offerId,
            contactId: ended.contactId,
            reason: ended.revokeReason,
          });
          revoked++;
        }
      }
    }
    if (resent + revoked > 0) {
      this.totals.resent += resent;
      this.totals.revoked += revoked;
      this.logger.warn(
        { resent, revoked, totals: this.totals },
        'agent sockets resynchronised from the database: events had been lost',
      );
    }
  }

  private retire(offerId: string): void {
    // re-inserted, so the map stays in retirement order for forgetOldRetired
    this.retired.delete(offerId);
    this.retired.set(offerId, Date.now());
  }

  private forgetOldRetired(): void {
    const before = Date.now() - RETIRED_KEEP_MS;
    // a Map iterates in insertion order, and retirement times only grow
    for (const [offerId, at] of this.retired) {
      if (at > before) break;
      this.retired.delete(offerId);
    }
  }
}
