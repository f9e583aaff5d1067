import { one, Sql } from '@tether/persistence';
import type { EventBus } from '@tether/realtime';
import type { Line } from '@tether/routing';
import type { ReturnTransferOutcome } from './sql-outcomes';

/** A transfer that came back (`tether_return_transfer`): what its announcement needs. */
export interface ReturnedTransfer {
  transferId: string;
  contactId: string;
  fromAgentId: string;
  mode: 'warm' | 'cold';
  /** the contact's former line, where it is again */
  line: Line;
  reason: string;
  /** a pending offer of the contact that the return revoked, if any */
  revoked: { offerId: string; agentId: string } | null;
}

/**
 * Sends a pending transfer back to the agent who made it, in the caller's transaction. Undefined when it is no longer
 * pending (accepted, returned or cancelled meanwhile).
 */
export async function returnTransfer(
  sql: Sql,
  transferId: string,
  reason: string,
): Promise<ReturnedTransfer | undefined> {
  const row = await one<{
    outcome: ReturnTransferOutcome;
    contact_id: string;
    from_agent_id: string;
    mode: 'warm' | 'cold';
    line: Line;
    revoked_offer_id: string | null;
    revoked_agent_id: string | null;
  }>(sql, `SELECT * FROM tether_return_transfer($1, $2, $3)`, [
    transferId,
    reason,
    `transfer came back: ${reason}`,
  ]);
  if (row?.outcome !== 'returned') return undefined;
  return {
    transferId,
    contactId: row.contact_id,
    fromAgentId: row.from_agent_id,
    mode: row.mode,
    line: row.line,
    reason,
    revoked:
      row.revoked_offer_id && row.revoked_agent_id
        ? { offerId: row.revoked_offer_id, agentId: row.revoked_agent_id }
        : null,
  };
}

/** After the return committed: the agent who made it is told, a revoked offer withdrawn, the queue redrawn. */
export async function announceReturnedTransfer(bus: EventBus, returned: ReturnedTransfer): Promise<void> {
  if (returned.revoked)
    await bus.publish({
      type: 'offer.revoked',
      agentId: returned.revoked.agentId,
      offerId: returned.revoked.offerId,
      contactId: returned.contactId,
      reason: 'transfer_returned',
    });
  await bus.publish({
    type: 'contact.transfer.returned',
    agentId: returned.fromAgentId,
    contactId: returned.contactId,
    transferId: returned.transferId,
    mode: returned.mode,
    reason: returned.reason,
  });
  await bus.publish({ type: 'queue.changed', lines: [returned.line] });
}
