import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ValidationFailed } from '@tether/errors';
import { rows } from '@tether/persistence';
import {
  KnownNames,
  Line,
  RoutingRules,
  RoutingRulesPatch,
  agentsNamedIn,
  agentsPairedIn,
  customersPairedIn,
  mergeRoutingRules,
  validateLineQueueLimit,
  validateNeverMatch,
  validateRuleSet,
} from '@tether/routing';
import { ContactDispatcher } from './contact-dispatcher.service';
import {
  LineRoutingRepository,
  RoutingDraft,
  RoutingVersionEntry,
  RoutingWrite,
  VersionedRules,
} from './line-routing.repository';

/**
 * What GET returns: the rules, their version, and (only when there is something to say) `warnings`: rules that name
 * an agent who has since been deleted (they no longer match that agent; the body stays a valid PUT body).
 */
export type RulesView = VersionedRules & { line: Line; warnings?: string[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A line's routing rules as admins read and replace them: every write is a new version with its author, and applies
 * to the very next routing pass. Line rules (`rules`, `calendar`) are validated as a whole against the skills and
 * agents that exist; a problem is a 400 naming its JSON path.
 */
@Injectable()
export class RoutingRulesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rules: LineRoutingRepository,
    private readonly dispatcher: ContactDispatcher,
  ) {}

  async view(line: Line): Promise<RulesView> {
    const rules = await this.rules.get(line);
    const named = agentsNamedIn(rules.rules);
    if (named.length === 0) return { line, ...rules };
    const { deletedAgents } = await this.knownNames(named.map((n) => n.agentId));
    const warnings = named
      .filter((n) => deletedAgents?.has(n.agentId))
      .map((n) => `${n.path}: agent ${n.agentId} was deleted; the rule no longer matches them`);
    return warnings.length === 0 ? { line, ...rules } : { line, ...rules, warnings };
  }

  /** Replaces the rules (missing fields take their defaults), routes the line again under them, returns them. */
  async replace(line: Line, patch: RoutingRulesPatch, write: RoutingWrite): Promise<RulesView> {
    await this.validate(line, patch);
    const rules: RoutingRules = mergeRoutingRules(patch);
    await this.rules.put(line, rules, write);
    this.dispatcher.request(line);
    return this.view(line);
  }

  /** Makes an earlier version's rules live again, as a new version; the next routing pass decides by them. */
  async rollback(line: Line, version: number, write: RoutingWrite): Promise<RulesView> {
    await this.rules.rollback(line, version, write);
    this.dispatcher.request(line);
    return this.view(line);
  }

  /** Saves the line's draft (validated as a PUT is); nothing routes by it until it is activated. */
  async saveDraft(line: Line, patch: RoutingRulesPatch, author: string): Promise<RoutingDraft> {
    await this.validate(line, patch);
    await this.rules.saveDraft(line, mergeRoutingRules(patch), author);
    return this.rules.draft(line);
  }

  draft(line: Line): Promise<RoutingDraft> {
    return this.rules.draft(line);
  }

  deleteDraft(line: Line): Promise<void> {
    return this.rules.deleteDraft(line);
  }

  /** The draft becomes the live rules as a new version (If-Match as for a PUT); the next pass decides by them. */
  async activateDraft(line: Line, write: RoutingWrite): Promise<RulesView> {
    await this.rules.activateDraft(line, write);
    this.dispatcher.request(line);
    return this.view(line);
  }

  versions(line: Line, limit: number): Promise<RoutingVersionEntry[]> {
    return this.rules.versions(line, limit);
  }

  async version(line: Line, version: number): Promise<RoutingRules & { version: number; line: Line }> {
    return { line, ...(await this.rules.version(line, version)) };
  }

  /**
   * Throws ValidationFailed listing every problem of the line rules, each with its JSON path. A skill is known when
   * an agent holds or held it, or the live rules already name it: deleting the last agent with a skill does not
   * make what GET returns an invalid PUT body.
   */
  async validate(line: Line, patch: RoutingRulesPatch): Promise<void> {
    const rules: unknown = patch.rules;
    const calendar: unknown = patch.calendar;
    const pairs: unknown = patch.neverMatch;
    const queueLimit: unknown = patch.queueLimit;
    if ([rules, calendar, pairs, queueLimit].every((value) => value === undefined || value === null)) return;
    const known = await this.knownNames(
      [...agentsNamedIn(rules).map((n) => n.agentId), ...agentsPairedIn(pairs)],
      customersPairedIn(pairs),
    );
    // what the live rules already name stays known: an erased customer or a skill's last agent gone does not make
    // what GET returns an invalid PUT body
    const live = await this.rules.get(line);
    for (const skill of skillsNamedIn(live)) (known.skills as Set<string>).add(skill);
    for (const pair of live.neverMatch ?? []) (known.customers as Set<string>).add(pair.customerId);
    const lines = await rows<{ name: string }>(this.dataSource.manager, `SELECT name FROM lines`);
    const withLines: KnownNames = { ...known, lines: new Set(lines.map((l) => l.name)), line };
    const problems = [
      ...validateRuleSet(rules, calendar, withLines),
      ...validateNeverMatch(pairs, withLines),
      ...validateLineQueueLimit(queueLimit, withLines),
    ];
    if (problems.length > 0)
      throw new ValidationFailed(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }

  /** The skills some agent holds or held, and which of these agent ids exist or were deleted. */
  private async knownNames(agentIds: string[], customerIds: string[] = []): Promise<KnownNames> {
    const ids = [...new Set(agentIds.filter((id) => UUID.test(id)))];
    const customerUuids = [...new Set(customerIds.filter((id) => UUID.test(id)))];
    const [skills, agents, customers] = await Promise.all([
      rows<{ skill: string }>(
        this.dataSource.manager,
        `SELECT DISTINCT jsonb_object_keys(skills) AS skill FROM agents`,
      ),
      ids.length === 0
        ? Promise.resolve([])
        : rows<{ id: string; deleted: boolean }>(
            this.dataSource.manager,
            `SELECT id, deleted_at IS NOT NULL AS deleted FROM agents WHERE id = ANY ($1::uuid[])`,
            [ids],
          ),
      customerUuids.length === 0
        ? Promise.resolve([])
        : rows<{ id: string }>(
            this.dataSource.manager,
            `SELECT id FROM customers WHERE id = ANY ($1::uuid[])`,
            [customerUuids],
          ),
    ]);
    return {
      skills: new Set(skills.map((s) => s.skill)),
      agents: new Set(agents.filter((a) => !a.deleted).map((a) => a.id)),
      deletedAgents: new Set(agents.filter((a) => a.deleted).map((a) => a.id)),
      customers: new Set(customers.map((c) => c.id)),
    };
  }
}

function skillsNamedIn(rules: RoutingRules): string[] {
  return [
    ...Object.values(rules.intents).flatMap((intent) => Object.keys(intent.skills)),
    ...(rules.rules ?? []).flatMap((rule) => [
      ...Object.keys(rule.skills ?? {}),
      ...(rule.stages ?? []).flatMap((stage) => Object.keys(stage.skills ?? {})),
    ]),
  ];
}
