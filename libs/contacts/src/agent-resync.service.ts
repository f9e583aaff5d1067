import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rows, StatementBatcher } from '@tether/persistence';
import type { ConnectedContactPayload, OfferPayload, OfferRevokeReason } from '@tether/realtime';
import { CONTACT_CARD_COLUMNS, ContactCardRow, OfferPayloadBuilder } from './offer-payload.builder';

/** An offer an agent's client may still show that PostgreSQL says is no longer pending. */
export interface EndedOffer {
  offerId: string;
  contactId: string;
  agentId: string;
  /** what to tell the client (`offer:revoked`); undefined when the agent ended it themselves (accepted, rejected) */
  revokeReason?: OfferRevokeReason;
}

/** A contact the agent holds; `endReason` is set when the caller already hung up (`contact:ended` follows). */
export interface HeldContact {
  payload: ConnectedContactPayload;
  endReason: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** the most agents one held-contacts read covers */
const HELD_BATCH_MAX = 500;

const REVOKE_REASONS: ReadonlySet<string> = new Set<OfferRevokeReason>([
  'expired',
  'caller_hung_up',
  'agent_disconnected',
  'agent_offline',
  'agent_removed',
]);

/**
 * What an agent's client should hold, read from PostgreSQL (the truth) rather than from the events that announced
 * it: gateways use it to re-synchronise their sockets after a connect, after the event bus recovers, and
 * periodically, so an event lost on the way (a publish that failed while Redis was down) costs a delay, not an offer.
 */
@Injectable()
export class AgentResyncService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly payloads: OfferPayloadBuilder,
  ) {}

  /** The offers pending (and not past their expiry) for these agents, by agent: one indexed query. */
  async pendingOffers(agentIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const byAgent = new Map<string, Set<string>>();
    if (agentIds.length === 0) return byAgent;
    const pending = await rows<{ id: string; agent_id: string }>(
      this.dataSource.manager,
      `SELECT id, agent_id FROM offers WHERE agent_id = ANY($1::uuid[]) AND state = 'pending' AND expires_at > now()`,
      [agentIds],
    );
    for (const { id, agent_id } of pending) {
      const set = byAgent.get(agent_id);
      if (set) set.add(id);
      else byAgent.set(agent_id, new Set([id]));
    }
    return byAgent;
  }

  /** The offers' payloads, exactly as first announced (same builder), oldest first. */
  offerPayloads(offerIds: readonly string[]): Promise<OfferPayload[]> {
    return this.payloads.buildMany(offerIds);
  }

  /**
   * The payloads of just-announced offers (`offer.created` carries ids only) that are still pending: one query for a
   * whole batch of announcements, oldest first.
   */
  announcedOffers(offerIds: readonly string[]): Promise<OfferPayload[]> {
    return this.payloads.buildPending(offerIds);
  }

  /**
   * Of these offers, those no longer pending. An offer still pending past its expiry is not ended yet: its timer
   * will expire it (and announce that).
   */
  async endedOffers(offerIds: readonly string[]): Promise<EndedOffer[]> {
    if (offerIds.length === 0) return [];
    const ended = await rows<{
      id: string;
      contact_id: string;
      agent_id: string;
      state: string;
      end_reason: string | null;
    }>(
      this.dataSource.manager,
      `SELECT id, contact_id, agent_id, state, end_reason FROM offers WHERE id = ANY($1::uuid[]) AND state <> 'pending'`,
      [offerIds],
    );
    return ended.map((o) => ({
      offerId: o.id,
      contactId: o.contact_id,
      agentId: o.agent_id,
      revokeReason: revokeReasonOf(o.state, o.end_reason),
    }));
  }

  /**
   * The contacts the agent holds (accepted, not yet completed), in the order they were connected. The agents asked
   * about together (a connect storm) are read in one statement (`heldContactsOf`).
   */
  heldContacts(agentId: string): Promise<HeldContact[]> {
    return this.held.submit(agentId);
  }

  private readonly held = StatementBatcher.byId<HeldContact[]>(
    (agentIds) => this.heldContactsOf(agentIds),
    () => [],
    HELD_BATCH_MAX,
  );

  /** statements run for `heldContacts` since start (one per batch): what the connect-storm test counts */
  get heldBatches(): number {
    return this.held.batches;
  }

  /** The contacts these agents hold, by agent, each agent's in the order they were connected: one query. */
  async heldContactsOf(agentIds: readonly string[]): Promise<Map<string, HeldContact[]>> {
    const byAgent = new Map<string, HeldContact[]>();
    // a malformed id would fail the whole batch's statement: it holds nothing
    const ids = [...new Set(agentIds)].filter((id) => UUID.test(id));
    if (ids.length === 0) return byAgent;
    const held = await rows<
      ContactCardRow & { agent_id: string; connected_at: Date; status: string; end_reason: string | null }
    >(
      this.dataSource.manager,
      `SELECT ${CONTACT_CARD_COLUMNS}, c.agent_id, c.connected_at, c.status, c.end_reason
       FROM contacts c JOIN customers cu ON cu.id = c.customer_id
       WHERE c.agent_id = ANY($1::uuid[]) AND c.work_open ORDER BY c.agent_id, c.connected_at, c.id`,
      [ids],
    );
    for (const row of held) {
      const { contact, customer, case: story } = this.payloads.card(row);
      const entry: HeldContact = {
        payload: {
          contactId: row.contact_id,
          connectedAt: (row.connected_at ?? row.enqueued_at).toISOString(),
          contact,
          customer,
          case: story,
        },
        endReason: row.status === 'ended' ? (row.end_reason ?? 'ended') : null,
      };
      const list = byAgent.get(row.agent_id);
      if (list) list.push(entry);
      else byAgent.set(row.agent_id, [entry]);
    }
    return byAgent;
  }
}

/** accepted and rejected offers were the agent's own doing: their client knows from the ack */
function revokeReasonOf(state: string, endReason: string | null): OfferRevokeReason | undefined {
  if (state === 'expired') return 'expired';
  if (state === 'revoked' && endReason && REVOKE_REASONS.has(endReason))
    return endReason as OfferRevokeReason;
  return undefined;
}
