import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentRepository } from '@tether/agents';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { ConflictError, NotFoundError, ValidationFailed } from '@tether/errors';
import { LineDirectory } from '@tether/lines';
import { inTransaction, one } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import type { Line } from '@tether/routing';
import { DueJob, DurableScheduler, OnJob } from '@tether/scheduler';
import { ContactDispatcher } from './contact-dispatcher.service';
import { ContactNotAssignedToAgent } from './contact.errors';
import type { TransferContactOutcome } from './sql-outcomes';
import { announceReturnedTransfer, returnTransfer } from './transfer-return';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type TransferTarget = { agentId: string } | { line: Line } | { caseOwner: true };
export type TransferMode = 'warm' | 'cold';

/**
 * Transfers: an agent hands a contact they are connected to on, to another agent, another line or the owner of the
 * customer's case, with a note (`tether_transfer_contact`). The contact keeps its id and waits on the target line
 * in its old place; the routing engine offers a named agent the contact at once or sends it back, and routes a line
 * or case-owner transfer like any contact of that line (case owner first). The accept completes the transfer
 * (`tether_accept_offer`: the warm agent released, one signed `contact.transferred` callback); a transfer nobody
 * takes comes back (`tether_return_transfer`): from the routing pass for a named agent, from the
 * `transfer.timeout` job (`TETHER_TRANSFER_TIMEOUT_SECONDS`) for a line or the case owner.
 */
@Injectable()
export class ContactTransferService {
  private readonly logger = new Logger(ContactTransferService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly agents: AgentRepository,
    private readonly lines: LineDirectory,
    private readonly dispatcher: ContactDispatcher,
    private readonly scheduler: DurableScheduler,
    private readonly bus: EventBus,
  ) {}

  async transfer(
    agentId: string,
    contactId: string,
    to: TransferTarget,
    mode: TransferMode,
    note?: string,
  ): Promise<{ transferId: string; contactId: string; line: Line }> {
    if (!UUID.test(contactId)) throw new ContactNotAssignedToAgent(contactId);
    let kind: 'agent' | 'line' | 'case_owner';
    let targetAgent: string | null = null;
    let targetLine: Line | null = null;
    if ('agentId' in to) {
      if (to.agentId === agentId)
        throw new ValidationFailed('to.agentId: you cannot transfer a contact to yourself');
      if (!UUID.test(to.agentId) || !(await this.agents.find(to.agentId)))
        throw new NotFoundError('Agent', to.agentId);
      kind = 'agent';
      targetAgent = to.agentId;
    } else if ('line' in to) {
      await this.lines.assertDefined([to.line]);
      kind = 'line';
      targetLine = to.line;
    } else {
      kind = 'case_owner';
    }
    const timeoutAt = new Date(Date.now() + this.config.transferTimeoutSeconds * 1000);
    const row = await one<{ outcome: TransferContactOutcome; transfer_id: string | null; line: Line | null }>(
      this.dataSource.manager,
      `SELECT outcome, transfer_id, line FROM tether_transfer_contact($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        agentId,
        contactId,
        kind,
        targetAgent,
        targetLine,
        mode,
        note ?? null,
        `${mode} transfer by ${agentId} to ${kind === 'agent' ? `agent ${targetAgent}` : kind === 'line' ? `line ${targetLine}` : 'the case owner'}`,
        timeoutAt,
      ],
    );
    switch (row?.outcome) {
      case 'transferred':
        break;
      case 'pending':
        throw new ConflictError('transfer_pending', `contact ${contactId} is being transferred already`);
      case 'no_case_owner':
        throw new ValidationFailed(
          'to.caseOwner: the customer has no open case on this line owned by someone else',
        );
      case 'not_connected':
      case undefined:
        throw new ContactNotAssignedToAgent(contactId);
    }
    const line = row.line!;
    this.logger.log(
      { contactId, agentId, kind, mode, line, transferId: row.transfer_id },
      'contact transferred',
    );
    if (kind !== 'agent') this.scheduler.wake(timeoutAt);
    await this.bus.publish({ type: 'queue.changed', lines: [line] });
    this.dispatcher.request(line);
    // released at once: the agent is free for their lines again
    if (mode === 'cold')
      for (const agentLine of await this.agents.linesOf(this.dataSource.manager, agentId))
        this.dispatcher.request(agentLine);
    return { transferId: row.transfer_id!, contactId, line };
  }

  /** Nobody took a line or case-owner transfer in time: it comes back to its agent. */
  @OnJob('transfer.timeout')
  async timedOut(job: DueJob<'transfer.timeout'>): Promise<void> {
    const returned = await inTransaction(this.dataSource, async (tx) => {
      await this.scheduler.fence(tx, job);
      return returnTransfer(
        tx,
        job.payload.transferId,
        `nobody took it within ${this.config.transferTimeoutSeconds} s`,
      );
    });
    if (!returned) return;
    this.logger.log({ contactId: returned.contactId, transferId: returned.transferId }, 'transfer came back');
    await announceReturnedTransfer(this.bus, returned);
    this.dispatcher.request(returned.line);
  }
}
