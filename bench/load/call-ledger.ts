/**
 * Everything the load generator saw of each call, keyed by callId (the offer payload carries it as
 * contact.callId, so an offer is matched to the webhook that caused it without asking the server). All times
 * are performance.now() of the load generator's process.
 */
export interface CallRecord {
  callId: string;
  step: number;
  scheduledAt: number;
  sentAt: number;
  respondedAt?: number;
  /** HTTP status of the webhook; 0 = the request failed (connection error, timeout) */
  status?: number;
  contactId?: string;
  offers: OfferSeen[];
  acceptSentAt?: number;
  acceptedAt?: number;
  callbackAt?: number;
  callbacks: number;
  completedAt?: number;
  errors: string[];
}

export interface OfferSeen {
  offerId: string;
  agentId: string;
  contactId: string;
  at: number;
  /**
   * ms from when the server began making the offer to its arrival: the offer's expiresAt minus the line's offer
   * timeout (for Tether: the start of the routing pass's transaction, PostgreSQL's now()), against the wall clock at
   * arrival (same machine, same clock)
   */
  sinceMadeMs?: number;
  revoked: boolean;
  /** arrived after its `offer:revoked` (delivered late, e.g. past its expiry): not a live offer */
  arrivedRevoked?: boolean;
}

export class CallLedger {
  readonly calls = new Map<string, CallRecord>();
  private readonly byOffer = new Map<string, CallRecord>();
  /** revokes that came before their offer (the offer was delivered after it had expired) */
  private readonly revokedUnseen = new Set<string>();
  /** offers, callbacks and revokes that matched no call of this run (should stay 0) */
  strays = 0;
  badCallbackSignatures = 0;

  sent(callId: string, step: number, scheduledAt: number, sentAt: number): CallRecord {
    const record: CallRecord = { callId, step, scheduledAt, sentAt, offers: [], callbacks: 0, errors: [] };
    this.calls.set(callId, record);
    return record;
  }

  offered(callId: string | undefined, seen: OfferSeen): CallRecord | undefined {
    const record = callId === undefined ? undefined : this.calls.get(callId);
    if (!record) {
      this.strays++;
      return undefined;
    }
    if (this.revokedUnseen.delete(seen.offerId)) {
      seen.revoked = true;
      seen.arrivedRevoked = true;
    }
    record.offers.push(seen);
    this.byOffer.set(seen.offerId, record);
    return record;
  }

  revoked(offerId: string): void {
    const record = this.byOffer.get(offerId);
    const offer = record?.offers.find((o) => o.offerId === offerId);
    if (offer) offer.revoked = true;
    else this.revokedUnseen.add(offerId);
  }

  callback(callId: string, at: number): void {
    const record = this.calls.get(callId);
    if (!record) {
      this.strays++;
      return;
    }
    record.callbacks++;
    record.callbackAt ??= at;
  }

  forStep(step: number): CallRecord[] {
    return [...this.calls.values()].filter((record) => record.step === step);
  }
}

/** Accepted by the webhook (2xx), so Tether owes it an offer. */
export function owed(record: CallRecord): boolean {
  return record.status !== undefined && record.status >= 200 && record.status < 300;
}

/**
 * A contact offered again while an earlier offer of it was never revoked: two agents (or one agent twice) were
 * handed the same contact. A re-offer after a revoke (expiry, reject) is legitimate and not counted.
 */
export function doubleOffered(record: CallRecord): boolean {
  return record.offers.some(
    (offer, i) => i > 0 && record.offers.slice(0, i).some((earlier) => !earlier.revoked),
  );
}

/** Finished: completed, or given up on with an error. */
export function settled(record: CallRecord): boolean {
  if (!owed(record)) return record.status !== undefined;
  return record.completedAt !== undefined || record.errors.length > 0;
}
