import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentRepository } from '@tether/agents';
import { canSeeLine, Principal } from '@tether/auth';
import { CaseService } from '@tether/cases';
import { AgentPresenceService, ForcedOfferService } from '@tether/contacts';
import { DomainError, DomainErrorKind } from '@tether/errors';
import { scrubText } from '@tether/observability';
import { EventBus, SupervisorActionName, SupervisorActionPayload } from '@tether/realtime';
import type { Line, PresenceState } from '@tether/routing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The HTTP status an outcome would have had: the audit log's `status` column speaks HTTP for every row. */
const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  unavailable: 503,
};

/**
 * What a supervisor does on /supervisors: force-assign a waiting contact, set another agent's presence, reassign a
 * case. Each is checked (role admin or supervisor; the contact's, agent's or case's line visible to them), done
 * through the lib that owns it (ForcedOfferService, AgentPresenceService.setState, CaseService.update), audited
 * (`audit_log`: actor, `socket <event>`, target, status, also when refused) and announced at once to every
 * supervisor who can see the line (`supervisor.action` on the bus → `supervisor:action`).
 */
@Injectable()
export class SupervisorActionsService {
  private readonly logger = new Logger(SupervisorActionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly forcedOffers: ForcedOfferService,
    private readonly presence: AgentPresenceService,
    private readonly cases: CaseService,
    private readonly agents: AgentRepository,
    private readonly bus: EventBus,
  ) {}

  /** `contact:assign`: the waiting contact offered to this agent now. */
  assign(principal: Principal, contactId: string, agentId: string): Promise<{ offerId: string }> {
    return this.audited(principal, 'contact:assign', contactId, ['contactId', 'agentId'], async () => {
      const line = await this.forcedOffers.lineOf(contactId);
      if (line === undefined) throw notFound('contactId', 'contact', contactId);
      if (!canSeeLine(principal, line)) throw outOfScope('contactId', 'contact');
      await this.visibleAgent(principal, agentId, 'agentId');
      const offer = await this.forcedOffers.assign(contactId, agentId, principal.actor);
      return {
        result: { offerId: offer.offerId },
        announce: { lines: [offer.line], payload: { line: offer.line, contactId, agentId } },
      };
    });
  }

  /** `agent:status`: another agent's presence, through the path their own `agent:status` takes. */
  setAgentStatus(
    principal: Principal,
    agentId: string,
    status: PresenceState,
  ): Promise<{ state: PresenceState }> {
    return this.audited(principal, 'agent:status', agentId, ['agentId', 'status'], async () => {
      const lines = await this.visibleAgent(principal, agentId, 'agentId');
      const result = await this.presence.setState(agentId, status, 'supervisor');
      return { result, announce: { lines, payload: { agentId, status } } };
    });
  }

  /** `case:reassign`: the case handed to another agent (CaseService.update with `ownerId`, an admin's handover). */
  reassignCase(principal: Principal, caseId: string, ownerId: string): Promise<Record<string, never>> {
    return this.audited(principal, 'case:reassign', caseId, ['caseId', 'ownerId'], async () => {
      if (!UUID.test(caseId)) throw notFound('caseId', 'case', caseId);
      const story = await this.cases.story(caseId).catch((error: unknown) => {
        throw error instanceof DomainError && error.kind === 'not_found'
          ? notFound('caseId', 'case', caseId)
          : error;
      });
      if (!canSeeLine(principal, story.line)) throw outOfScope('caseId', 'case');
      await this.visibleAgent(principal, ownerId, 'ownerId');
      await this.cases.update(caseId, { ownerId });
      return {
        result: {},
        announce: { lines: [story.line], payload: { line: story.line, caseId, ownerId } },
      };
    });
  }

  /** The agent's lines, once they are known to exist and to share a line with the principal. */
  private async visibleAgent(principal: Principal, agentId: string, field: string): Promise<Line[]> {
    const agent = UUID.test(agentId) ? await this.agents.find(agentId) : undefined;
    if (!agent) throw notFound(field, 'agent', agentId);
    if (!agent.lines.some((line) => canSeeLine(principal, line))) throw outOfScope(field, 'agent');
    return agent.lines;
  }

  private async audited<R extends object>(
    principal: Principal,
    action: SupervisorActionName,
    target: string,
    fields: string[],
    work: () => Promise<{
      result: R;
      announce: { lines: Line[]; payload: Omit<SupervisorActionPayload, 'action' | 'actor' | 'at'> };
    }>,
  ): Promise<R> {
    try {
      if (principal.role !== 'admin' && principal.role !== 'supervisor')
        throw new DomainError('forbidden', 'forbidden', `role: ${principal.role} may not act on the floor`);
      const { result, announce } = await work();
      await this.audit(principal, action, target, 200, fields);
      const payload: SupervisorActionPayload = {
        action,
        actor: principal.actor,
        at: new Date().toISOString(),
        ...announce.payload,
      };
      await this.bus.publish({ type: 'supervisor.action', action: payload, lines: announce.lines });
      return result;
    } catch (error) {
      const status = error instanceof DomainError ? STATUS_OF[error.kind] : 500;
      await this.audit(principal, action, target, status, fields).catch((failed: Error) =>
        this.logger.error(`audit of a refused ${action} failed: ${scrubText(failed.message)}`),
      );
      throw error;
    }
  }

  private async audit(
    principal: Principal,
    action: SupervisorActionName,
    target: string,
    status: number,
    fields: string[],
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (actor, action, target, status, fields) VALUES ($1, $2, $3, $4, $5)`,
      [principal.actor, `socket ${action}`, target.slice(0, 200), status, fields],
    );
  }
}

function notFound(field: string, what: string, id: string): DomainError {
  return new DomainError(`${what}_not_found`, 'not_found', `${field}: no ${what} ${id.slice(0, 64)}`);
}

function outOfScope(field: string, what: string): DomainError {
  return new DomainError('out_of_scope', 'forbidden', `${field}: the ${what} is not on a line you supervise`);
}
