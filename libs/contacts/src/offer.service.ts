import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { TetherMetrics } from '@tether/observability';
import { one, prepared, rows, Sql } from '@tether/persistence';
import { EventBus, OfferRevokeReason } from '@tether/realtime';
import type { Line } from '@tether/routing';
import { TelephonyCallbackEvent, TelephonyCallbackService } from '@tether/telephony';
import { ContactDispatcher } from './contact-dispatcher.service';
import { OfferNoLongerValid } from './contact.errors';
import { OfferExpiryClock } from './offer-expiry.clock';
import type { AcceptOfferOutcome, RejectOfferOutcome } from './sql-outcomes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACCEPT_OFFER =
  prepared(`SELECT outcome, contact_id, line, state, end_reason, callback_id, callback_body, transfer_id, transfer_from,
  case_notice_id, case_owner_id, callback_url FROM tether_accept_offer($1, $2, $3)`);
/** Due offers expired per sweep statement; a sweep repeats while it finds a full batch. */
const EXPIRY_BATCH = 100;

type OfferOutcome = AcceptOfferOutcome | RejectOfferOutcome;

export interface RevokedOffer {
  offer_id: string;
  contact_id: string;
  line: Line;
}

interface ExpiredOffer {
  offer_id: string;
  contact_id: string;
  agent_id: string;
  line: Line;
  set_away: boolean;
}

/**
 * What an agent does with an offer, and what time does to it. Every transition is one PL/pgSQL function
 * (`tether_accept_offer`, `tether_reject_offer`, `tether_expire_offer`, ...) that locks the contact row first, then
 * the offer (the lock order every contact transition follows) and changes the offer with a check of its state, so of
 * a late accept and an expiry, or of two agents' accepts, exactly one wins.
 */
@Injectable()
export class OfferService {
  private readonly logger = new Logger(OfferService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly dispatcher: ContactDispatcher,
    private readonly callbacks: TelephonyCallbackService,
    expiryClock: OfferExpiryClock,
    // optional: a module built without the core's metrics (a spec) routes the same
    @Optional() private readonly metrics?: TetherMetrics,
  ) {
    expiryClock.onDue(() => this.expireDue());
  }

  /** Start-up warm-up inside a transaction the caller rolls back (`warmPool`): an accept that finds no offer. */
  async warmUp(tx: EntityManager): Promise<void> {
    await tx.query(ACCEPT_OFFER, [randomUUID(), randomUUID(), this.callbacks.url]);
  }

  async accept(agentId: string, offerId: string): Promise<{ contactId: string }> {
    if (!UUID.test(offerId)) throw new OfferNoLongerValid('offer not found');
    const result = await one<{
      outcome: AcceptOfferOutcome;
      contact_id: string | null;
      line: Line | null;
      state: string | null;
      end_reason: string | null;
      callback_id: string | null;
      callback_body: TelephonyCallbackEvent | null;
      transfer_id: string | null;
      transfer_from: string | null;
      case_notice_id: string | null;
      case_owner_id: string | null;
      callback_url: string | null;
    }>(this.dataSource.manager, ACCEPT_OFFER, [agentId, offerId, this.callbacks.url]);
    if (!result) throw new OfferNoLongerValid('offer not found');
    if (result.outcome === 'already_accepted') return { contactId: result.contact_id! };
    if (result.outcome !== 'accepted') throw new OfferNoLongerValid(describeRefusal(result.outcome, result));
    if (result.callback_id && result.callback_body && result.callback_url)
      this.callbacks.deliverNow(result.callback_id, result.callback_url, result.callback_body);
    this.logger.log({ offerId, contactId: result.contact_id, agentId }, 'offer accepted');
    if (result.transfer_from) {
      // a transfer completed: its agent is told (and, warm, free again)
      await this.bus.publish({
        type: 'contact.transferred',
        agentId: result.transfer_from,
        contactId: result.contact_id!,
        transferId: result.transfer_id!,
        toAgentId: agentId,
      });
      this.dispatcher.requestAll();
    }
    // the case's owner, if someone else took their customer, hears of it (now, or when they sign in): the accept
    // wrote the notice in its own statement
    if (result.case_notice_id && result.case_owner_id)
      await this.bus.publish({
        type: 'case.notice',
        agentId: result.case_owner_id,
        noticeId: result.case_notice_id,
      });
    await this.bus.publish({
      type: 'contact.connected',
      agentId,
      contactId: result.contact_id!,
      line: result.line!,
    });
    return { contactId: result.contact_id! };
  }

  async reject(agentId: string, offerId: string, reason?: string): Promise<{ contactId: string }> {
    if (!UUID.test(offerId)) throw new OfferNoLongerValid('offer not found');
    const result = await one<{
      outcome: RejectOfferOutcome;
      contact_id: string | null;
      line: Line | null;
      state: string | null;
      end_reason: string | null;
    }>(
      this.dataSource.manager,
      `SELECT outcome, contact_id, line, state, end_reason FROM tether_reject_offer($1, $2, $3)`,
      [agentId, offerId, reason ?? 'rejected'],
    );
    if (!result || result.outcome !== 'rejected')
      throw new OfferNoLongerValid(describeRefusal(result?.outcome ?? 'not_found', result));
    this.logger.log({ offerId, contactId: result.contact_id, agentId }, 'offer rejected');
    await this.afterRequeue([result.line!]);
    return { contactId: result.contact_id! };
  }

  /** Expires every due pending offer (the expiry clock calls this; any instance may, at any time). */
  async expireDue(): Promise<void> {
    for (;;) {
      const expired = await rows<ExpiredOffer>(
        this.dataSource.manager,
        `SELECT * FROM tether_expire_due_offers($1)`,
        [EXPIRY_BATCH],
      );
      await this.announceExpired(expired);
      if (expired.length < EXPIRY_BATCH) return;
    }
  }

  /** Revokes every pending offer of an agent (disconnected, signed off, removed); the contacts go back to the queue. */
  async revokeAllFor(agentId: string, reason: OfferRevokeReason): Promise<void> {
    const revoked = await this.revokePending(this.dataSource.manager, agentId, reason);
    await this.announceRevoked(agentId, revoked, reason);
  }

  /** The revocation itself, inside the caller's transaction; announce the result once it committed. */
  async revokePending(sql: Sql, agentId: string, reason: OfferRevokeReason): Promise<RevokedOffer[]> {
    return rows<RevokedOffer>(
      sql,
      `SELECT offer_id, contact_id, line FROM tether_revoke_agent_offers($1, $2)`,
      [agentId, reason],
    );
  }

  /** Tells the agent's sockets their offers are gone and routes the contacts on. */
  async announceRevoked(agentId: string, revoked: RevokedOffer[], reason: OfferRevokeReason): Promise<void> {
    for (const offer of revoked) {
      await this.bus.publish({
        type: 'offer.revoked',
        agentId,
        offerId: offer.offer_id,
        contactId: offer.contact_id,
        reason,
      });
    }
    await this.afterRequeue(revoked.map((o) => o.line));
  }

  /** The offer timer fired: the offer is revoked, the agent set away (evidently not at their desk), the contact routed on. */
  private async announceExpired(expired: ExpiredOffer[]): Promise<void> {
    for (const offer of expired) {
      this.metrics?.offersExpired.inc({ line: offer.line });
      this.logger.log(
        { offerId: offer.offer_id, contactId: offer.contact_id, agentId: offer.agent_id },
        'offer expired; agent set away',
      );
      await this.bus.publish({
        type: 'offer.revoked',
        agentId: offer.agent_id,
        offerId: offer.offer_id,
        contactId: offer.contact_id,
        reason: 'expired',
      });
      await this.bus.publish({
        type: 'agent.presence',
        agentId: offer.agent_id,
        state: 'away',
        reason: 'offer_expired',
      });
    }
    await this.afterRequeue(expired.map((o) => o.line));
  }

  private async afterRequeue(lines: Line[]): Promise<void> {
    const distinct = [...new Set(lines)];
    if (distinct.length === 0) return;
    await this.bus.publish({ type: 'queue.changed', lines: distinct });
    for (const line of distinct) this.dispatcher.request(line);
  }
}

function describeRefusal(
  outcome: OfferOutcome,
  offer?: { state: string | null; end_reason: string | null } | null,
): string {
  if (outcome === 'not_found') return 'offer not found';
  if (outcome === 'expired') return 'offer expired';
  if (outcome === 'contact_moved') return 'contact is no longer waiting for this offer';
  const state = offer?.state ?? 'unknown';
  if (state === 'expired') return 'offer expired';
  if (state === 'rejected') return 'offer was rejected';
  if (state === 'revoked')
    return offer?.end_reason === 'caller_hung_up'
      ? 'offer revoked: caller hung up'
      : `offer revoked (${offer?.end_reason ?? 'revoked'})`;
  return `offer is ${state}`;
}
