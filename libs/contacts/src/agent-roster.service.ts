import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Agent, AgentChanges, AgentRepository } from '@tether/agents';
import { AgentTokenInfo, AgentTokenService } from '@tether/auth';
import { CaseService } from '@tether/cases';
import { NotFoundError } from '@tether/errors';
import { inTransaction } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import { ContactDispatcher } from './contact-dispatcher.service';
import { OfferService } from './offer.service';

/**
 * Admin changes to the roster that reach past the agents table: what else must change with them, in one
 * transaction, and who must hear of it afterwards. Controllers make one call here.
 */
@Injectable()
export class AgentRosterService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly agents: AgentRepository,
    private readonly tokens: AgentTokenService,
    private readonly offers: OfferService,
    private readonly dispatcher: ContactDispatcher,
    private readonly bus: EventBus,
    private readonly cases: CaseService,
  ) {}

  /** Name, lines, skills or capacity changed: the agent's sockets move to their new lines; routing looks again. */
  async update(id: string, changes: AgentChanges): Promise<Agent> {
    const agent = await this.agents.update(id, changes);
    await this.bus.publish({ type: 'agent.updated', agentId: id, lines: agent.lines });
    this.dispatcher.requestAll();
    return agent;
  }

  /** A token the agent connects to the gateway with (the agent must exist and not be removed). */
  async issueToken(
    id: string,
  ): Promise<{ agentId: string; tokenId: string; token: string; expiresAt: string }> {
    await this.agents.get(id);
    return { agentId: id, ...(await this.tokens.issue(id)) };
  }

  /** The agent's tokens that can still open a socket: ids and times, never the tokens. */
  async tokensOf(id: string): Promise<AgentTokenInfo[]> {
    await this.agents.get(id);
    return this.tokens.list(id);
  }

  /**
   * Revokes one of the agent's tokens (again: no change, the sockets are told again): it opens no socket from now
   * on, and every gateway closes the sockets opened with it. Unknown agent or token: NotFound.
   */
  async revokeToken(id: string, tokenId: string): Promise<void> {
    await this.agents.get(id);
    await this.tokens.revoke(this.dataSource.manager, id, tokenId);
    await this.bus.publish({ type: 'agent.tokens.revoked', agentId: id, tokenIds: [tokenId] });
  }

  /** Revokes every token of the agent, and every gateway closes their sockets: "sign this agent out everywhere". */
  async revokeTokens(id: string): Promise<void> {
    await this.agents.get(id);
    const tokenIds = await this.tokens.revokeAll(this.dataSource.manager, id);
    if (tokenIds.length > 0) await this.bus.publish({ type: 'agent.tokens.revoked', agentId: id, tokenIds });
  }

  /**
   * Removes an agent: soft delete, presence offline, every token revoked, every pending offer revoked (its contact
   * back in the queue) and every open case handed to their deputy (else left to the case's team), all or nothing;
   * then their sockets are closed, the new owners told and the contacts routed on.
   */
  async remove(id: string): Promise<void> {
    const { revoked, handed } = await inTransaction(this.dataSource, async (tx) => {
      if (!(await this.agents.markRemoved(tx, id))) throw new NotFoundError('Agent', id);
      await this.tokens.revokeAll(tx, id);
      const handed = await this.cases.handOverCasesOf(tx, id);
      return { revoked: await this.offers.revokePending(tx, id, 'agent_removed'), handed };
    });
    await this.offers.announceRevoked(id, revoked, 'agent_removed');
    await this.bus.publish({ type: 'agent.removed', agentId: id });
    await this.cases.announceHandovers(handed);
    // their cases' waiting customers now go to the new owners (or the teams)
    if (handed.length > 0) this.dispatcher.requestAll();
  }
}
