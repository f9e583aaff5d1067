import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { inTransaction, one, rows, Sql } from '@tether/persistence';
import { EventBus, OfferRevokeReason } from '@tether/realtime';
import type { Line } from '@tether/routing';
import { DurableScheduler } from '@tether/scheduler';
import { TelephonyCallbackService } from '@tether/telephony';
import { ContactDispatcher, JOB_OFFER_EXPIRE } from './contact-dispatcher.service';
import { OfferNoLongerValid } from './contact.errors';
import { releaseSlot, traceEntry } from './slot-release';

interface OfferRow {
  id: string;
  contact_id: string;
  agent_id: string;
  line: Line;
  channel: string;
  state: string;
  expires_at: Date;
  end_reason: string | null;
  expired: boolean;
}

/**
 * What an agent does with an offer, and what time does to it. Every transition is a conditional update on the
 * offer's state, taken after locking the contact row (the lock order every contact transition follows), so of a
 * late accept and an expiry, or of two agents' accepts, exactly one wins.
 */
@Injectable()
export class OfferService {
  private readonly logger = new Logger(OfferService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly dispatcher: ContactDispatcher,
    private readonly callbacks: TelephonyCallbackService,
    scheduler: DurableScheduler,
  ) {
    scheduler.register(JOB_OFFER_EXPIRE, async (job) => {
      await this.expire(job.payload.offerId as string);
    });
  }

  async accept(agentId: string, offerId: string): Promise<{ contactId: string }> {
    const result = await inTransaction(this.dataSource, async (tx) => {
      const offer = await this.lockOffer(tx, offerId);
      if (!offer || offer.agent_id !== agentId) throw new OfferNoLongerValid('offer not found');
      if (offer.state === 'accepted')
        return { contactId: offer.contact_id, line: offer.line, fresh: false, callbackQueued: false };
      if (offer.state !== 'pending') throw new OfferNoLongerValid(describeEnded(offer));
      if (offer.expired) throw new OfferNoLongerValid('offer expired');
      await tx.query(`UPDATE offers SET state = 'accepted', resolved_at = now() WHERE id = $1`, [offerId]);
      await cancelExpiry(tx, offerId);
      const contact = await one<{ external_id: string }>(
        tx,
        `UPDATE contacts SET status = 'connected', agent_id = $2, offered_agent_id = NULL, work_open = true, connected_at = now(),
                routing_trace = routing_trace || $3::jsonb
         WHERE id = $1 AND status = 'offered' AND offered_agent_id = $2 RETURNING external_id`,
        [offer.contact_id, agentId, traceEntry(`accepted by ${agentId}`)],
      );
      if (!contact) throw new OfferNoLongerValid('contact is no longer waiting for this offer');
      const callbackQueued = await this.callbacks.enqueue(tx, {
        event: 'contact.connected',
        callId: contact.external_id,
        contactId: offer.contact_id,
        agentId,
      });
      return { contactId: offer.contact_id, line: offer.line, fresh: true, callbackQueued };
    });
    if (result.fresh) {
      if (result.callbackQueued) this.callbacks.kick();
      this.logger.log({ offerId, contactId: result.contactId, agentId }, 'offer accepted');
      await this.bus.publish({
        type: 'contact.connected',
        agentId,
        contactId: result.contactId,
        line: result.line,
      });
    }
    return { contactId: result.contactId };
  }

  async reject(agentId: string, offerId: string, reason?: string): Promise<{ contactId: string }> {
    const line = await inTransaction(this.dataSource, async (tx) => {
      const offer = await this.lockOffer(tx, offerId);
      if (!offer || offer.agent_id !== agentId) throw new OfferNoLongerValid('offer not found');
      if (offer.state !== 'pending') throw new OfferNoLongerValid(describeEnded(offer));
      await this.endOffer(tx, offer, 'rejected', reason ?? 'rejected', true);
      return offer;
    });
    this.logger.log({ offerId, contactId: line.contact_id, agentId }, 'offer rejected');
    await this.afterRequeue(line.line);
    return { contactId: line.contact_id };
  }

  /** The offer timer fired: revoke, set the agent away (evidently not at their desk), route the contact on. */
  async expire(offerId: string): Promise<void> {
    const offer = await inTransaction(this.dataSource, async (tx) => {
      const found = await this.lockOffer(tx, offerId);
      if (!found || found.state !== 'pending') return undefined;
      await this.endOffer(tx, found, 'expired', 'expired', true);
      await tx.query(
        `UPDATE agent_presence SET state = 'away', state_since = now() WHERE agent_id = $1 AND state = 'available'`,
        [found.agent_id],
      );
      return found;
    });
    if (!offer) return;
    this.logger.log(
      { offerId, contactId: offer.contact_id, agentId: offer.agent_id },
      'offer expired; agent set away',
    );
    await this.bus.publish({
      type: 'offer.revoked',
      agentId: offer.agent_id,
      offerId,
      contactId: offer.contact_id,
      reason: 'expired',
    });
    await this.bus.publish({
      type: 'agent.presence',
      agentId: offer.agent_id,
      state: 'away',
      reason: 'offer_expired',
    });
    await this.afterRequeue(offer.line);
  }

  /** Revokes every pending offer of an agent (disconnected, signed off, removed); the contacts go back to the queue. */
  async revokeAllFor(agentId: string, reason: OfferRevokeReason): Promise<void> {
    const pending = await rows<{ id: string }>(
      this.dataSource.manager,
      `SELECT id FROM offers WHERE agent_id = $1 AND state = 'pending'`,
      [agentId],
    );
    const lines = new Set<Line>();
    for (const { id } of pending) {
      const revoked = await inTransaction(this.dataSource, async (tx) => {
        const offer = await this.lockOffer(tx, id);
        if (!offer || offer.state !== 'pending') return undefined;
        // not the agent's choice: the contact may come back to them once they are reachable again
        await this.endOffer(tx, offer, 'revoked', reason, false);
        return offer;
      });
      if (!revoked) continue;
      lines.add(revoked.line);
      await this.bus.publish({
        type: 'offer.revoked',
        agentId,
        offerId: id,
        contactId: revoked.contact_id,
        reason,
      });
    }
    for (const line of lines) await this.afterRequeue(line);
  }

  private async afterRequeue(line: Line): Promise<void> {
    await this.bus.publish({ type: 'queue.changed', lines: [line] });
    this.dispatcher.request(line);
  }

  /** Lock order: contact row first, then the offer. */
  private async lockOffer(tx: EntityManager, offerId: string): Promise<OfferRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(offerId)) return undefined;
    const ref = await one<{ contact_id: string }>(tx, `SELECT contact_id FROM offers WHERE id = $1`, [
      offerId,
    ]);
    if (!ref) return undefined;
    await tx.query(`SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, [ref.contact_id]);
    return one<OfferRow>(
      tx,
      `SELECT id, contact_id, agent_id, line, channel, state, expires_at, end_reason, expires_at <= now() AS expired
       FROM offers WHERE id = $1 FOR UPDATE`,
      [offerId],
    );
  }

  private async endOffer(
    tx: EntityManager,
    offer: OfferRow,
    state: string,
    reason: string,
    exclude: boolean,
  ): Promise<void> {
    await tx.query(`UPDATE offers SET state = $2, end_reason = $3, resolved_at = now() WHERE id = $1`, [
      offer.id,
      state,
      reason,
    ]);
    await cancelExpiry(tx, offer.id);
    await tx.query(
      `UPDATE contacts SET status = 'queued', offered_agent_id = NULL,
              excluded_agent_ids = CASE WHEN $3 THEN array_append(excluded_agent_ids, $2::uuid) ELSE excluded_agent_ids END,
              routing_trace = routing_trace || $4::jsonb
       WHERE id = $1 AND status = 'offered' AND offered_agent_id = $2`,
      [
        offer.contact_id,
        offer.agent_id,
        exclude,
        traceEntry(`offer to ${offer.agent_id} ${state} (${reason})`),
      ],
    );
    await releaseSlot(tx, offer.agent_id, offer.channel);
  }
}

/** A resolved offer's expiry timer has nothing left to do: drop it instead of letting it fire into a no-op. */
export async function cancelExpiry(tx: Sql, offerId: string): Promise<void> {
  await tx.query(`DELETE FROM scheduled_jobs WHERE kind = $1 AND dedupe_key = $2`, [
    JOB_OFFER_EXPIRE,
    offerId,
  ]);
}

function describeEnded(offer: OfferRow): string {
  switch (offer.state) {
    case 'expired':
      return 'offer expired';
    case 'rejected':
      return 'offer was rejected';
    case 'revoked':
      return offer.end_reason === 'caller_hung_up'
        ? 'offer revoked: caller hung up'
        : `offer revoked (${offer.end_reason ?? 'revoked'})`;
    default:
      return `offer is ${offer.state}`;
  }
}
