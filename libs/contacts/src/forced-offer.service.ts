import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConflictError, DomainError } from '@tether/errors';
import { one } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import type { Line } from '@tether/routing';
import { ContactDispatcher } from './contact-dispatcher.service';
import { LineRoutingRepository } from './line-routing.repository';
import { OfferExpiryClock } from './offer-expiry.clock';
import type { ForceAssignOutcome } from './sql-outcomes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ForceAssignRow {
  outcome: ForceAssignOutcome;
  offer_id: string | null;
  expires_at: Date | null;
  line: Line | null;
  channel: string | null;
  status: string | null;
  revoked_offer_id: string | null;
  revoked_agent_id: string | null;
}

export interface ForcedOffer {
  offerId: string;
  contactId: string;
  agentId: string;
  line: Line;
  /** another agent's pending offer this one replaced */
  revoked: { offerId: string; agentId: string } | null;
}

/**
 * A supervisor's force-assign (`contact:assign` on /supervisors): the waiting contact is offered to the agent they
 * chose, whatever the rules say, in one statement (`tether_force_assign`, force_assign.sql): another agent's pending
 * offer of it revoked first, the chosen agent signed in with a free slot. The offer then goes out exactly as a routed
 * one does: `offer.created` on the bus (the agent's gateway reads and sends it), the expiry clock told its time.
 */
@Injectable()
export class ForcedOfferService {
  private readonly logger = new Logger(ForcedOfferService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rules: LineRoutingRepository,
    private readonly bus: EventBus,
    private readonly offerExpiry: OfferExpiryClock,
    private readonly dispatcher: ContactDispatcher,
  ) {}

  /** The line a contact waits on (a pending transfer's target line, else its own); undefined for an unknown id. */
  async lineOf(contactId: string): Promise<Line | undefined> {
    if (!UUID.test(contactId)) return undefined;
    const row = await one<{ line: Line }>(
      this.dataSource.manager,
      `SELECT coalesce(t.target_line, c.routed_line, c.line) AS line
         FROM contacts c LEFT JOIN transfers t ON t.id = c.transfer_id AND t.state = 'pending'
        WHERE c.id = $1`,
      [contactId],
    );
    return row?.line;
  }

  /** Offers the contact to the agent now; `by` (the actor's non-secret name) goes into the offer's trace. */
  async assign(contactId: string, agentId: string, by: string): Promise<ForcedOffer> {
    const line = await this.lineOf(contactId);
    if (line === undefined) throw notFound('contactId', 'contact', contactId);
    if (!UUID.test(agentId)) throw notFound('agentId', 'agent', agentId);
    const { offerTimeoutSeconds } = await this.rules.cached(line);
    const row = (await one<ForceAssignRow>(
      this.dataSource.manager,
      `SELECT * FROM tether_force_assign($1, $2, $3, $4)`,
      [contactId, agentId, offerTimeoutSeconds, `assigned by supervisor ${by}`],
    ))!;
    switch (row.outcome) {
      case 'offered':
        break;
      case 'contact_not_found':
        throw notFound('contactId', 'contact', contactId);
      case 'agent_not_found':
        throw notFound('agentId', 'agent', agentId);
      case 'not_waiting':
        throw new ConflictError(
          'contact_not_waiting',
          `contactId: the contact is ${row.status}, no longer waiting`,
        );
      case 'already_offered':
        throw new ConflictError('already_offered', 'agentId: the contact is already offered to this agent');
      case 'agent_offline':
        throw new ConflictError('agent_offline', 'agentId: the agent is not signed in');
      case 'no_capacity':
        throw new ConflictError('agent_no_capacity', `agentId: the agent has no free ${row.channel} slot`);
    }
    const offered: ForcedOffer = {
      offerId: row.offer_id!,
      contactId,
      agentId,
      line: row.line!,
      revoked:
        row.revoked_offer_id && row.revoked_agent_id
          ? { offerId: row.revoked_offer_id, agentId: row.revoked_agent_id }
          : null,
    };
    this.logger.log(
      { line: offered.line, contactId, agentId, offerId: offered.offerId },
      'offered by a supervisor',
    );
    if (offered.revoked)
      await this.bus.publish({
        type: 'offer.revoked',
        agentId: offered.revoked.agentId,
        offerId: offered.revoked.offerId,
        contactId,
        reason: 'supervisor_assigned',
      });
    this.offerExpiry.expectAt(row.expires_at!);
    await this.bus.publish({ type: 'offer.created', agentId, offerId: offered.offerId });
    await this.bus.publish({ type: 'queue.changed', lines: [offered.line] });
    // the agent whose offer was revoked has a slot free again: the line may have someone else for them
    if (offered.revoked) this.dispatcher.request(offered.line);
    return offered;
  }
}

function notFound(field: string, what: string, id: string): DomainError {
  return new DomainError(`${what}_not_found`, 'not_found', `${field}: no ${what} ${id}`);
}
